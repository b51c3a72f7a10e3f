//! The connection layer: hyper driven with a header-read timeout, a per-request timeout answered
//! as a problem, `Connection: close` after refusing a request whose body was left unread, and a
//! graceful shutdown with a deadline.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::AppState;

/// How connections are served.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A client must send its whole request head within this time, or is disconnected.
    pub header_read: Duration,
    /// After the stop signal, requests in flight get this long before their connections close.
    pub shutdown_deadline: Duration,
}

/// Answers 503 `timeout` when a request takes longer than the configured time. The work is
/// dropped at that point: a transaction not yet committed rolls back, but one whose commit was
/// under way may have taken effect, so the answer says to retry with the same idempotency key.
pub async fn request_timeout(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = state.config.request_timeout();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout_ms = limit.as_millis(), "request timed out");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request took longer than {} ms; if it changed something, retrying \
                     with the same Idempotency-Key is safe",
                    limit.as_millis()
                ),
            )
            .retry_after(1)
            .into_response()
        }
    }
}

/// A request body that records whether it was read to its end.
struct Tracked {
    inner: Body,
    finished: Arc<AtomicBool>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.finished.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A request refused from its headers (401, 415, 413, 429...) leaves its body unread in the
/// connection; hyper then closes the connection after the answer. Saying `Connection: close`
/// tells a pooled client not to send its next request on it (it would get a broken pipe).
pub async fn close_if_body_unread(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let has_body = announced.is_some_and(|n| n > 0) || headers.contains_key(TRANSFER_ENCODING);
    if !has_body {
        return next.run(request).await;
    }
    let finished = Arc::new(AtomicBool::new(false));
    let (parts, body) = request.into_parts();
    let body = Body::new(Tracked {
        inner: body,
        finished: finished.clone(),
    });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if !finished.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Accepts connections until `stop` changes, then lets requests in flight finish for at most
/// the shutdown deadline and closes whatever is still open.
///
/// hyper is driven directly (not through `axum::serve`) for two settings axum does not expose:
/// a timer for the header-read timeout, so a client that never finishes its request head is
/// disconnected, and forgiving header parsing, so a header line hyper cannot accept (a control
/// character in a value) reaches the handlers as a missing header and is answered with a
/// problem instead of hyper's bodiless 400.
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    limits: ConnectionLimits,
) -> anyhow::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .ignore_invalid_headers(true);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: pause instead of spinning.
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = socket.set_nodelay(true);
                connections.spawn(serve_one(http.clone(), socket, peer, app.clone(), stop.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "shutdown deadline passed; closing the remaining connections"
        );
        connections.shutdown().await;
    }
    Ok(())
}

async fn serve_one(
    http: hyper::server::conn::http1::Builder,
    socket: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let service = app.map_request(move |mut request: axum::http::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let connection = http.serve_connection(TokioIo::new(socket), TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        }
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
