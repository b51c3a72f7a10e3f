//! A TCP proxy between the server under test and MySQL that a test can cut, restore, or set to
//! break a connection at the moment it commits: a database outage on demand, without stopping
//! the shared MariaDB.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// What the next COMMIT sent through the proxy meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum CommitTrap {
    /// Passed on, and its answer too.
    Off = 0,
    /// Passed on to MySQL, which commits; its answer is swallowed and the connection cut.
    CutAfter = 1,
    /// Never passed on: the connection is cut, MySQL rolls the transaction back.
    CutBefore = 2,
}

struct Shared {
    upstream: String,
    pipes: Mutex<Vec<JoinHandle<()>>>,
    trap: AtomicU8,
    sprung: AtomicU32,
}

/// The proxy, listening on `addr`.
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accepting: Mutex<Option<JoinHandle<()>>>,
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`) on a free local port.
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            pipes: Mutex::new(Vec::new()),
            trap: AtomicU8::new(CommitTrap::Off as u8),
            sprung: AtomicU32::new(0),
        });
        let accepting = accept(listener, shared.clone());
        Proxy {
            addr,
            shared,
            accepting: Mutex::new(Some(accepting)),
        }
    }

    /// `url` (a MySQL URL) with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = reqwest::Url::parse(url).unwrap();
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }

    /// The database goes away: the port is closed (new connections are refused) and every
    /// connection through the proxy is dropped.
    pub async fn cut(&self) {
        let accepting = self.accepting.lock().unwrap().take();
        if let Some(task) = accepting {
            task.abort();
            let _ = task.await;
        }
        let pipes: Vec<JoinHandle<()>> = self.shared.pipes.lock().unwrap().drain(..).collect();
        for pipe in pipes {
            pipe.abort();
            let _ = pipe.await;
        }
    }

    /// The database is back on the same port.
    pub async fn restore(&self) {
        let mut waited = 0;
        let listener = loop {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            match socket.bind(self.addr).and_then(|()| socket.listen(1024)) {
                Ok(listener) => break listener,
                Err(error) => {
                    assert!(
                        waited < 100,
                        "cannot listen on {} again: {error}",
                        self.addr
                    );
                    waited += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        *self.accepting.lock().unwrap() = Some(accept(listener, self.shared.clone()));
    }

    /// Sets what the next COMMIT meets (once; then the trap is off again).
    pub fn trap_next_commit(&self, trap: CommitTrap) {
        self.shared.trap.store(trap as u8, Ordering::SeqCst);
    }

    /// How many COMMITs the trap caught.
    pub fn sprung(&self) -> u32 {
        self.shared.sprung.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(task) = self.accepting.lock().unwrap().take() {
            task.abort();
        }
        for pipe in self.shared.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            let pipe = tokio::spawn(pipe(client, shared.clone()));
            shared.pipes.lock().unwrap().push(pipe);
        }
    })
}

/// A COM_QUERY packet's command byte followed by the statement sqlx sends to commit.
const COMMIT: &[u8] = b"\x03COMMIT";

async fn pipe(client: TcpStream, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(&shared.upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (mut up, mut down) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    // Set once a trapped COMMIT went to MySQL: its answer is the last thing read.
    let mut awaiting_commit_answer = false;
    loop {
        tokio::select! {
            read = client_read.read(&mut up) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let chunk = &up[..n];
                if chunk.windows(COMMIT.len()).any(|w| w == COMMIT) {
                    match shared.trap.swap(CommitTrap::Off as u8, Ordering::SeqCst) {
                        1 => awaiting_commit_answer = true,
                        2 => {
                            shared.sprung.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        _ => {}
                    }
                }
                if server_write.write_all(chunk).await.is_err() {
                    return;
                }
            }
            read = server_read.read(&mut down) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if awaiting_commit_answer {
                    shared.sprung.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                if client_write.write_all(&down[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
