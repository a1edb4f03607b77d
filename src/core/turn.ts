/** Gives the event loop a turn: long jobs (parsing a big batch, compacting) call it between slices of work. */
export const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
