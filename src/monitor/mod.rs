//! The full-screen terminal application: `app` holds the operator's state and turns keys into
//! actions, `ui` draws a `LiveView` with it, `theme` and `term` style and own the terminal, and
//! `event_loop` runs them against the engine.

pub mod app;
pub mod event_loop;
pub mod term;
pub mod theme;
pub mod ui;
