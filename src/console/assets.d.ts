// Stylesheets are imported for the bundler, which writes them to app.css.
declare module '*.css';
