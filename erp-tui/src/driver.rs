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
            let label = task.label;
            // Run on a task of its own so that a panic comes back as its join error: otherwise
            // its answer would never come, and a till waiting for it (a park, a caixa request)
            // would wait for good.
            let msg = match tokio::spawn(task.run(erp)).await {
                Ok(msg) => msg,
                Err(_) => Msg::TaskPanicked(label),
            };
            let _ = tx.send(msg);
        });
    }
}

/// Why the till stops after a task panicked. ratatui's panic hook has already put the terminal
/// back to normal to print the report, so the till cannot go on drawing; what it was doing is in
/// the register's cart file, written before anything was sent.
fn panicked(label: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "a background task ({label}) failed unexpectedly; the till stopped. The sale in progress \
         is saved with its register: start the till again to go on"
    )
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
        if let Msg::TaskPanicked(label) = msg {
            return Err(panicked(label));
        }
        let tasks = app.update(msg);
        spawn_tasks(tasks, &erp, &tx);
        // Take everything already waiting before drawing again.
        while let Ok(msg) = rx.try_recv() {
            if let Msg::TaskPanicked(label) = msg {
                return Err(panicked(label));
            }
            let tasks = app.update(msg);
            spawn_tasks(tasks, &erp, &tx);
        }
        if app.quit {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_is_answered_all_the_same() {
        let (tx, mut rx) = unbounded_channel::<Msg>();
        let failing = Task::new("failing on purpose", |_| async {
            panic!("a bug in a task");
        });
        spawn_tasks(vec![failing], &Erp::in_memory(), &tx);
        let answer = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert!(
            matches!(answer, Ok(Some(Msg::TaskPanicked("failing on purpose")))),
            "{answer:?}"
        );
    }
}
