//! Driving the app without a terminal: keys in, background tasks run to completion in order,
//! frames rendered into ratatui's `TestBackend`. The tests and the search benchmark use it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use erp_core::Erp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::app::App;
use crate::cart::CartStore;
use crate::msg::Msg;
use crate::task::Task;

/// An app with its ERP and a pretend terminal.
pub struct Harness {
    /// The app under test.
    pub app: App,
    /// What it talks to.
    pub erp: Erp,
    terminal: Terminal<TestBackend>,
}

impl Harness {
    /// Starts the app on `erp` with a `width` x `height` terminal and runs its first tasks.
    pub async fn start(
        erp: Erp,
        carts: Option<CartStore>,
        width: u16,
        height: u16,
    ) -> anyhow::Result<Harness> {
        Harness::start_in(erp, carts, width, height, crate::i18n::Lang::En).await
    }

    /// [`Harness::start`] in `lang` from the first screen on, as `main` sets it before the
    /// first message.
    pub async fn start_in(
        erp: Erp,
        carts: Option<CartStore>,
        width: u16,
        height: u16,
        lang: crate::i18n::Lang,
    ) -> anyhow::Result<Harness> {
        let (mut app, tasks) = App::new(erp.backend_name(), carts);
        app.lang = lang;
        let terminal = Terminal::new(TestBackend::new(width, height))?;
        let mut harness = Harness { app, erp, terminal };
        harness.run(tasks).await;
        Ok(harness)
    }

    /// Runs tasks and everything they lead to, in order, until nothing is left.
    pub async fn run(&mut self, mut tasks: Vec<Task>) {
        while !tasks.is_empty() {
            let task = tasks.remove(0);
            let msg = task.run(self.erp.clone()).await;
            tasks.extend(self.app.update(msg));
        }
    }

    /// Delivers a message and runs what follows.
    pub async fn send(&mut self, msg: Msg) {
        let tasks = self.app.update(msg);
        self.run(tasks).await;
    }

    /// Presses a key.
    pub async fn press(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .await;
    }

    /// Presses Ctrl + `c`.
    pub async fn ctrl(&mut self, c: char) {
        self.send(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )))
        .await;
    }

    /// Types text, one key per character.
    pub async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// One clock tick (lists refresh).
    pub async fn tick(&mut self) {
        self.send(Msg::Tick).await;
    }

    /// Draws a frame and returns it.
    pub fn render(&mut self) -> Buffer {
        let app = &self.app;
        // Drawing into a TestBackend cannot fail.
        let _ = self.terminal.draw(|frame| app.view(frame));
        self.terminal.backend().buffer().clone()
    }

    /// The frame as text, one line per row.
    pub fn screen(&mut self) -> String {
        let buffer = self.render();
        let area = buffer.area;
        let mut text = String::new();
        for y in 0..area.height {
            for x in 0..area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    /// Resizes the pretend terminal.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.terminal.backend_mut().resize(width, height);
    }
}
