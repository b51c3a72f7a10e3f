//! The loop around the app: terminal events and a clock tick in, background tasks out, a frame
//! drawn after every batch of messages. Nothing here waits on the database.

use std::time::Duration;

use crossterm::event::{self, Event};
use erp_core::Erp;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::app::App;
use crate::msg::Msg;
use crate::task::Task;

fn spawn_tasks(tasks: Vec<Task>, erp: &Erp, tx: &UnboundedSender<Msg>) {
    for task in tasks {
        let erp = erp.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let msg = task.run(erp).await;
            let _ = tx.send(msg);
        });
    }
}

/// Runs the app until it quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    erp: Erp,
    mut app: App,
    first: Vec<Task>,
) -> anyhow::Result<()> {
    let (tx, mut rx) = unbounded_channel::<Msg>();
    // Terminal events are read on a thread of their own: crossterm's read blocks.
    let keys = tx.clone();
    std::thread::spawn(move || {
        while !keys.is_closed() {
            match event::poll(Duration::from_millis(200)) {
                Ok(true) => {
                    let msg = match event::read() {
                        Ok(Event::Key(key)) => Msg::Key(key),
                        Ok(Event::Resize(..)) => Msg::Resize,
                        Ok(_) => continue,
                        Err(_) => break,
                    };
                    if keys.send(msg).is_err() {
                        break;
                    }
                }
                Ok(false) => {}
                Err(_) => break,
            }
        }
    });
    let ticks = tx.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            if ticks.send(Msg::Tick).is_err() {
                break;
            }
        }
    });
    spawn_tasks(first, &erp, &tx);
    loop {
        terminal.draw(|frame| app.view(frame))?;
        let Some(msg) = rx.recv().await else {
            break;
        };
        let tasks = app.update(msg);
        spawn_tasks(tasks, &erp, &tx);
        // Take everything already waiting before drawing again.
        while let Ok(msg) = rx.try_recv() {
            let tasks = app.update(msg);
            spawn_tasks(tasks, &erp, &tx);
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}
