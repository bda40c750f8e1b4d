//! A TCP proxy a test can cut and restore: the database goes away for the nodes behind it
//! (open connections reset, new ones refused) without stopping the machine's shared server.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    accepting: Mutex<Option<JoinHandle<()>>>,
    piping: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let proxy = Proxy { addr, upstream, accepting: Mutex::new(None), piping: Arc::default() };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&self, listener: TcpListener) {
        let (upstream, piping) = (self.upstream, self.piping.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
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
