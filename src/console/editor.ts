/**
 * The SQL editor: CodeMirror 6 with its SQL language (DuckDB's dialect is
 * close to PostgreSQL's), completion of dataset and column names from the
 * API, Ctrl/Cmd+Enter to run. Tab is left to the page (Escape-then-Tab is
 * not needed to leave the editor), so keyboard users move on as anywhere else.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { PostgreSQL, sql } from '@codemirror/lang-sql';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view';

export class SqlEditor {
  readonly view: EditorView;
  private readonly language = new Compartment();

  constructor(parent: HTMLElement, run: () => void, initial: string) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(), history(), drawSelection(), bracketMatching(), closeBrackets(), highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          autocompletion({ activateOnTyping: true }),
          this.language.of(sql({ dialect: PostgreSQL })),
          Prec.highest(keymap.of([{ key: 'Mod-Enter', run: (view) => { closeCompletion(view); run(); return true; } }])),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap]),
          placeholder('SELECT … (Ctrl+Enter runs)'),
          EditorView.contentAttributes.of({ 'aria-label': 'SQL query (Ctrl+Enter or Cmd+Enter runs it)' }),
          EditorView.lineWrapping,
        ],
      }),
    });
  }

  /** Dataset and column names to complete. */
  setSchema(schema: Record<string, string[]>): void {
    this.view.dispatch({ effects: this.language.reconfigure(sql({ dialect: PostgreSQL, schema, upperCaseKeywords: false })) });
  }

  get text(): string { return this.view.state.doc.toString(); }

  set text(t: string) {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: t }, selection: { anchor: t.length } });
  }

  /** Inserts text at the cursor (replacing a selection) and gives the editor the focus. */
  insert(t: string): void {
    const { from, to } = this.view.state.selection.main;
    this.view.dispatch({ changes: { from, to, insert: t }, selection: { anchor: from + t.length } });
    this.view.focus();
  }

  focus(): void { this.view.focus(); }
}
