//! The one HTTP server skeleton every peaqOS server uses (devnet JSON-RPC, MCR API, Gas Station,
//! bundler): [`bind`] a listener, [`serve`] an axum router on it with graceful shutdown, and hold
//! the running [`Server`] (address, URL, shutdown, wait). [`until_ctrl_c`] is the one way a
//! binary waits for Ctrl-C.

#![warn(missing_docs, unreachable_pub)]
#![deny(unused_must_use)]

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// What can go wrong binding, serving or waiting.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address cannot be listened on (in use, not local, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// `host:port` asked for.
        addr: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
    /// The server task panicked or was cancelled.
    #[error("server task: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// Waiting for Ctrl-C failed (no signal handler could be installed).
    #[error("cannot wait for Ctrl-C: {0}")]
    Signal(#[source] std::io::Error),
}

/// Binds `host:port` (port 0 picks a free one).
pub async fn bind(host: &str, port: u16) -> Result<TcpListener, ServerError> {
    TcpListener::bind((host, port))
        .await
        .map_err(|source| ServerError::Bind {
            addr: format!("{host}:{port}"),
            source,
        })
}

/// Binds a socket address.
pub async fn bind_addr(addr: SocketAddr) -> Result<TcpListener, ServerError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

/// Serves `router` on `listener` until [`Server::shutdown`]; handlers can extract the peer's
/// `ConnectInfo<SocketAddr>` (per-IP limits).
pub fn serve(listener: TcpListener, router: axum::Router) -> Result<Server, ServerError> {
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            // A dropped sender (the handle gone) also stops the server.
            let _ = rx.await;
        })
        .await
        .map_err(ServerError::Serve)
    });
    tracing::debug!(%addr, "listening");
    Ok(Server {
        addr,
        shutdown: Some(tx),
        task,
    })
}

impl Server {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), ServerError> {
        if let Some(tx) = self.shutdown.take() {
            // The server may have ended already; waiting below reports how.
            let _ = tx.send(());
        }
        (&mut self.task).await.map_err(ServerError::Task)?
    }

    /// Waits until the server ends on its own (it does not, unless it fails).
    pub async fn wait(&mut self) -> Result<(), ServerError> {
        (&mut self.task).await.map_err(ServerError::Task)?
    }
}

/// Waits for Ctrl-C (SIGINT). An error installing the handler is returned, never ignored.
pub async fn until_ctrl_c() -> Result<(), ServerError> {
    tokio::signal::ctrl_c().await.map_err(ServerError::Signal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr) -> String {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        out
    }

    #[tokio::test]
    async fn serves_until_shutdown_then_refuses_connections() {
        let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
        let server = serve(bind("127.0.0.1", 0).await.expect("bind"), router).expect("serve");
        let addr = server.addr();
        assert_eq!(server.url(), format!("http://{addr}"));
        assert!(get(addr).await.ends_with("hello"));
        server.shutdown().await.expect("clean shutdown");
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn a_taken_port_is_a_bind_error_naming_the_address() {
        let taken = bind("127.0.0.1", 0).await.expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let err = bind("127.0.0.1", port).await.expect_err("port in use");
        assert!(matches!(err, ServerError::Bind { .. }));
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
