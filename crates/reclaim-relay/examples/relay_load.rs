//! Load generator: N station streams connected to an in-process relay, callbacks posted over
//! real HTTP on loopback; prints one JSON line with throughput and callback→event latency.
//!
//! `cargo run --release -p reclaim-relay --example relay_load -- --streams 1000 --duration 5`

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use futures::StreamExt;
use reclaim_relay::{RegisterRequest, RelayClient, RelayConfig, RequestKind, StationConfig};
use serde_json::json;

/// Relay load test.
#[derive(Debug, Parser)]
struct Args {
    /// Connected event streams (one station each).
    #[arg(long, default_value_t = 1000)]
    streams: usize,
    /// Length of the timed phase in seconds.
    #[arg(long, default_value_t = 5)]
    duration: u64,
    /// Concurrent callback senders.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Registrations prepared before the timed phase (each takes two callbacks).
    #[arg(long, default_value_t = 80_000)]
    states: usize,
}

fn cred(i: usize) -> String {
    format!("bench-station-{i:06}-credential")
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let n = args.streams.max(1);
    let config = RelayConfig {
        stations: (0..n)
            .map(|i| StationConfig { id: format!("s{i}"), credential: cred(i) })
            .collect(),
        max_pending_per_station: usize::MAX / 2,
        ..RelayConfig::default()
    };
    let relay = reclaim_relay::serve(config, std::net::TcpListener::bind("127.0.0.1:0")?).await?;
    let base = relay.base_url().to_owned();
    let callback_url = relay.callback_url().to_owned();
    let epoch = Instant::now();

    // Streams: each records latency (µs) of non-warm-up events.
    let received = Arc::new(AtomicU64::new(0));
    let warm = Arc::new(AtomicUsize::new(0));
    let stream_http = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let mut readers = Vec::new();
    let mut latencies = Vec::new();
    for i in 0..n {
        let client = RelayClient::with_http_client(stream_http.clone(), &base, &cred(i));
        let (received, warm) = (received.clone(), warm.clone());
        let lat = Arc::new(Mutex::new(Vec::new()));
        latencies.push(lat.clone());
        readers.push(tokio::spawn(async move {
            let mut s = client.events(None);
            while let Some(Ok(ev)) = s.next().await {
                let now = epoch.elapsed().as_micros() as u64;
                let Some(body) = ev.body() else { continue };
                if body.get("warmup").is_some() {
                    warm.fetch_add(1, Ordering::Relaxed);
                } else if let Some(sent) = body.get("sentAtUs").and_then(|v| v.as_u64()) {
                    lat.lock().unwrap_or_else(|e| e.into_inner()).push(now.saturating_sub(sent));
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    let now_s = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let clients: Arc<Vec<RelayClient>> =
        Arc::new((0..n).map(|i| RelayClient::new(&base, &cred(i))).collect::<Result<_, _>>()?);
    let post_http =
        reqwest::Client::builder().pool_max_idle_per_host(args.concurrency * 2).build()?;

    // Prepare registrations (state j belongs to station j % n); the first n are warm-up.
    let total = n + args.states;
    let next = Arc::new(AtomicUsize::new(0));
    let reg_start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (clients, next) = (clients.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                if j >= total {
                    break;
                }
                let req = RegisterRequest {
                    state: format!("st-{j}"),
                    api_key: Some(format!("api-key-for-state-{j:08}")),
                    expires_at: now_s + 1800,
                    kind: RequestKind::Presentation,
                };
                if clients[j % clients.len()].register(&req).await.is_err() {
                    eprintln!("registration {j} failed");
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let reg_secs = reg_start.elapsed().as_secs_f64();

    // Warm-up: one event per station proves every stream is connected.
    for j in 0..n {
        let body = json!({"requestId": "w", "requestStatus": "request_retrieved", "state": format!("st-{j}"), "warmup": true});
        post_http
            .post(&callback_url)
            .header("api-key", format!("api-key-for-state-{j:08}"))
            .json(&body)
            .send()
            .await?;
    }
    let warm_deadline = Instant::now() + Duration::from_secs(30);
    while warm.load(Ordering::Relaxed) < n && Instant::now() < warm_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let streams_ready = warm.load(Ordering::Relaxed);

    // Timed phase.
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicUsize::new(n));
    let deadline = Instant::now() + Duration::from_secs(args.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (http, url, next, ok, errors) =
            (post_http.clone(), callback_url.clone(), next.clone(), ok.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let j = next.fetch_add(1, Ordering::Relaxed);
                if j >= total {
                    break;
                }
                let state = format!("st-{j}");
                let key = format!("api-key-for-state-{j:08}");
                for status in ["request_retrieved", "presentation_verified"] {
                    let body = json!({
                        "requestId": format!("r-{j}"), "requestStatus": status, "state": state,
                        "sentAtUs": epoch.elapsed().as_micros() as u64,
                    });
                    match http.post(&url).header("api-key", &key).json(&body).send().await {
                        Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                        _ => errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = ok.load(Ordering::Relaxed);
    let drain_deadline = Instant::now() + Duration::from_secs(10);
    while received.load(Ordering::Relaxed) < accepted && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for r in readers {
        r.abort();
    }
    let mut lat: Vec<u64> = Vec::new();
    for l in latencies {
        lat.extend(l.lock().unwrap_or_else(|e| e.into_inner()).iter());
    }
    lat.sort_unstable();
    let received_n = received.load(Ordering::Relaxed);
    let line = json!({
        "bench": "relay_load",
        "streams": n,
        "streams_ready": streams_ready,
        "concurrency": args.concurrency,
        "duration_s": (elapsed * 1000.0).round() / 1000.0,
        "callbacks_accepted": accepted,
        "callbacks_refused_or_failed": errors.load(Ordering::Relaxed),
        "callbacks_per_s": (accepted as f64 / elapsed).round(),
        "events_received": received_n,
        "events_missing": accepted.saturating_sub(received_n),
        "latency_ms": {
            "p50": percentile(&lat, 0.50),
            "p99": percentile(&lat, 0.99),
            "max": percentile(&lat, 1.0),
        },
        "registrations_per_s": ((total as f64) / reg_secs).round(),
        "cpus": std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1),
    });
    // The one line of output is the point of this program.
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
    relay.shutdown().await?;
    Ok(())
}
