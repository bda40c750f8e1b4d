//! A TCP proxy a test can cut and restore: the database goes away for the nodes behind it
//! (open connections reset, new ones refused) without stopping the machine's shared server.
//! Or stall: a dead link, as an access point without its backhaul is, which accepts
//! connections and keeps them open but passes nothing either way.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    accepting: Mutex<Option<JoinHandle<()>>>,
    piping: Arc<Mutex<Vec<AbortHandle>>>,
    passing: tokio::sync::watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let passing = tokio::sync::watch::Sender::new(true);
        let proxy = Proxy { addr, upstream, accepting: Mutex::new(None), piping: Arc::default(), passing };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&self, listener: TcpListener) {
        let (upstream, piping, passing) = (self.upstream, self.piping.clone(), self.passing.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut passing = passing.subscribe();
                let pipe = tokio::spawn(async move {
                    if !*passing.borrow_and_update() {
                        return hold(inbound).await;
                    }
                    let Ok(mut outbound) = TcpStream::connect(upstream).await else { return };
                    let stalled = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => false,
                        _ = passing.wait_for(|p| !*p) => true,
                    };
                    if stalled {
                        hold((inbound, outbound)).await;
                    }
                });
                piping.lock().expect("lock").push(pipe.abort_handle());
            }
        });
        *self.accepting.lock().expect("lock") = Some(task);
    }

    /// Resets every open connection and refuses new ones.
    pub fn cut(&self) {
        if let Some(task) = self.accepting.lock().expect("lock").take() {
            task.abort();
        }
        for pipe in self.piping.lock().expect("lock").drain(..) {
            pipe.abort();
        }
    }

    /// Stalls: from now on nothing passes either way, and every connection, open or new,
    /// stays open.
    pub fn stall(&self) {
        self.passing.send_replace(false);
    }

    /// Passes new connections again (the stalled ones stay stalled, as after a dead link).
    pub fn unstall(&self) {
        self.passing.send_replace(true);
    }

    /// Accepts again, on the same address.
    pub async fn restore(&self) {
        let listener = loop {
            // The aborted accept loop releases the port as its task is dropped.
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            }
        };
        self.accept_on(listener);
    }
}

/// Keeps `sockets` open, passing nothing, until the test ends (or `cut`).
async fn hold<T>(sockets: T) {
    let _open = sockets;
    std::future::pending::<()>().await
}
