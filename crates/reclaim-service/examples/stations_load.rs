//! The recovery service with many stations recovering at once (issue 12): the demo service
//! (`DemoService`, the in-process emulated tenant) with N enrolled stations, N kiosk clients
//! (`ServiceClient`, HTTP + SSE on loopback, each with its own signed assertions) and N phones
//! played through the emulator's control API, every station running whole phone-path recoveries
//! (production profile, TAP) back to back for a bounded time. Prints one JSON line:
//!
//! * `recoveriesPerSec` — whole recoveries (begin → … → TAP → done → attract) completed per
//!   second over the timed phase, all stations together;
//! * `commandToViewMs` — from a kiosk command being sent (`POST /v1/sessions`, `…/account`,
//!   `…/provider`, `…/done`) to the first new view it causes arriving on that station's SSE stream
//!   (as the kiosk's client publishes it): the goal is p99 ≤ 30 ms on loopback; `byCommand` splits it;
//! * `phoneToViewMs` — from the phone's action (the hosted flow completed; the presentation made)
//!   to the view it causes on the station (provider / Request Service callback → relay → engine →
//!   SSE), for information;
//! * `recoveryMs` — one whole recovery's wall time.
//!
//! The kiosk clients share the process and the machine's cores with the service and the relay
//! (its callback intake). The emulated cloud (Entra, the Request Service, the providers, and the
//! phones that drive them) runs on a runtime of its own whose threads run at a lower priority
//! (`--cloud-nice`, default 19; 0 = the same priority): in a deployment that work happens on
//! Microsoft's, the provider's and the person's machines, not on the service's cores, and on one
//! 2-core machine it would otherwise take the service's CPU (what the first runs of this
//! benchmark measured: the emulated hosted flows' throughput, not the service's latency). Each station plays one of the personas that get a TAP
//! (`--personas`), round robin, on its own phone (`{stationId}-phone`), so concurrent recoveries
//! never share a phone (two stations may recover the same account at once: the tenant keeps one
//! TAP per user, the newer replaces the older). Limits that would refuse a benchmark's repetition
//! are lifted through the settings hook, not in product code: unlimited attempts per account and
//! station, no result dwell, no periodic pre-flight, a long idle timer. All stations connect from
//! 127.0.0.1, so the listener's per-address cap is raised to fit them (a fleet's kiosks have one
//! address each).
//!
//! ```sh
//! cargo build --release -p reclaim-service --features demo --example stations_load
//! target/release/examples/stations_load --stations 100 --duration 20
//! ```
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use reclaim_engine::RateLimits;
use reclaim_engine::demo::{DemoOptions, DemoStack};
use reclaim_protocol::client::{ClientOptions, ServiceClient};
use reclaim_protocol::{ScanPath, StationView, View, ViewUpdate};
use reclaim_service::demo::{DemoService, DemoServiceOptions};
use reclaim_service::listener::Limits;
use serde_json::{Value, json};
use tokio::sync::Mutex;

#[derive(Debug, Parser)]
struct Args {
    /// Stations enrolled, connected and recovering at once.
    #[arg(long, default_value_t = 100)]
    stations: usize,
    /// Seconds of the timed phase (each station starts no new recovery after it).
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// At most this many timed recoveries per station (0: as many as fit the duration).
    #[arg(long, default_value_t = 0)]
    max_per_station: usize,
    /// Untimed recoveries per station first (all stations at once).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Personas recovered, round robin over the stations (the fixture's production-profile
    /// personas, which get a TAP).
    #[arg(long, value_delimiter = ',', default_value = "ana,maria,zoe,siobhan")]
    personas: Vec<String>,
    /// Face Check score the phones present with.
    #[arg(long, default_value_t = 92.0)]
    score: f64,
    /// Nice value of the emulated cloud's threads (0: as the service's).
    #[arg(long, default_value_t = 19)]
    cloud_nice: i32,
    /// Worker threads of the emulated cloud's runtime.
    #[arg(long, default_value_t = 2)]
    cloud_threads: usize,
    /// Spread the stations' first timed recovery evenly over this many seconds (0: every
    /// station starts at the same instant and, the steps taking the same time, they go on in
    /// lockstep: a hundred identical requests at once, which people at a hundred kiosks do not
    /// make).
    #[arg(long, default_value_t = 0.0)]
    stagger: f64,
}

/// This thread's id (`/proc/thread-self` links to `<pid>/task/<tid>`).
fn thread_id() -> Option<String> {
    std::fs::read_link("/proc/thread-self").ok()?.file_name()?.to_str().map(str::to_owned)
}

/// Lowers this thread's priority (Linux's nice is per thread; `renice -p TID` sets one thread's).
fn lower_priority(nice: i32) {
    if let Some(tid) = thread_id() {
        let _ = std::process::Command::new("renice")
            .args(["-n", &nice.to_string(), "-p", &tid])
            .stdout(std::process::Stdio::null())
            .status();
    }
}

/// Runs a phone's action on the emulated cloud's runtime.
async fn on_cloud<T: Send + 'static>(
    cloud: &tokio::runtime::Handle,
    fut: impl std::future::Future<Output = Result<T, reclaim_engine::demo::DemoError>> + Send + 'static,
) -> Result<T, String> {
    match cloud.spawn(fut).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(e) => Err(format!("the phone's task: {e}")),
    }
}

/// One timed measurement: what, how long.
type Sample = (&'static str, Duration);

#[derive(Debug, Default)]
struct Samples {
    command: Vec<Sample>,
    /// From a command being sent to its HTTP answer (before the view).
    reply: Vec<Sample>,
    phone: Vec<Sample>,
    recovery: Vec<Duration>,
    failures: Vec<String>,
    /// Updates that arrived between a command and the view it leads to.
    stray: usize,
}

/// Waits (60 s at most) for the station's view to satisfy `pred`.
async fn wait(
    client: &ServiceClient,
    what: &str,
    pred: impl FnMut(&ViewUpdate) -> bool,
) -> Result<ViewUpdate, String> {
    let mut rx = client.subscribe();
    match tokio::time::timeout(Duration::from_secs(60), rx.wait_for(pred)).await {
        Ok(Ok(v)) => Ok(v.clone()),
        _ => Err(format!(
            "timed out waiting for {what}; last view: {:?}",
            screen(&client.current().view)
        )),
    }
}

/// Runs `action` and times it until the view it leads to (`expected`) arrives on the station's SSE
/// stream, as its client publishes it. Updates before that one (none expected) are counted.
async fn timed<T, E: std::fmt::Display>(
    client: &ServiceClient,
    action: impl std::future::Future<Output = Result<T, E>>,
    expected: impl Fn(&View) -> bool,
    stray: &mut usize,
) -> Result<(T, Duration, Duration), String> {
    let mut updates = client.updates();
    let sent = Instant::now();
    let out = action.await.map_err(|e| e.to_string())?;
    let replied = sent.elapsed();
    loop {
        let update = tokio::time::timeout(Duration::from_secs(60), updates.recv())
            .await
            .map_err(|_| "no view after the command".to_owned())?
            .map_err(|e| format!("view stream: {e}"))?;
        if expected(&update.view) {
            return Ok((out, sent.elapsed(), replied));
        }
        *stray += 1;
    }
}

fn screen(view: &View) -> String {
    serde_json::to_value(view)
        .ok()
        .and_then(|v| v.get("screen").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// One whole phone-path recovery of `persona` at `client`'s station, its phone played by `phone`.
async fn recover(
    cloud: &tokio::runtime::Handle,
    client: &ServiceClient,
    phone: &reclaim_engine::demo::Phone,
    persona: &str,
    upn: &str,
    score: f64,
    out: &mut Samples,
) -> Result<(), String> {
    let start = Instant::now();
    let (_, t, r) =
        timed(client, client.begin(), |v| matches!(v, View::Identify { .. }), &mut out.stray)
            .await?;
    out.command.push(("begin", t));
    out.reply.push(("begin", r));
    wait(client, "identify", |v| matches!(v.view, View::Identify { .. })).await?;
    let (_, t, r) = timed(
        client,
        client.submit_upn(upn.to_owned()),
        |v| matches!(v, View::Checking | View::ChooseProvider { .. }),
        &mut out.stray,
    )
    .await?;
    out.command.push(("account", t));
    out.reply.push(("account", r));
    wait(client, "choose provider", |v| matches!(v.view, View::ChooseProvider { .. })).await?;
    let (_, t, r) = timed(
        client,
        client.choose_provider("trueid".into(), ScanPath::Phone),
        |v| matches!(v, View::ScanId { .. }),
        &mut out.stray,
    )
    .await?;
    out.command.push(("provider", t));
    out.reply.push(("provider", r));
    let scan =
        wait(client, "the link", |v| matches!(v.view, View::ScanId { link: Some(_), .. })).await?;
    let View::ScanId { link: Some(link), .. } = scan.view else { unreachable!() };
    let (_, t, r) = timed(
        client,
        on_cloud(cloud, {
            let (phone, url, persona) = (phone.clone(), link.url.clone(), persona.to_owned());
            async move { phone.complete_hosted_flow("trueid", &url, &persona).await }
        }),
        |v| !matches!(v, View::ScanId { .. }),
        &mut out.stray,
    )
    .await?;
    out.phone.push(("hostedFlow", t));
    let _ = r;
    let ask = wait(client, "the QR", |v| matches!(v.view, View::OpenAuthenticator { qr: Some(_) }))
        .await?;
    let View::OpenAuthenticator { qr: Some(qr) } = ask.view else { unreachable!() };
    on_cloud(cloud, {
        let (phone, url) = (phone.clone(), qr.url.clone());
        async move { phone.open(&url).await }
    })
    .await?;
    let (_, t, r) = timed(
        client,
        on_cloud(cloud, {
            let phone = phone.clone();
            async move { phone.present(score).await }
        }),
        |v| !matches!(v, View::OpenAuthenticator { .. }),
        &mut out.stray,
    )
    .await?;
    out.phone.push(("present", t));
    let _ = r;
    let end = wait(client, "the TAP", |v| {
        matches!(v.view, View::Tap { .. } | View::CouldNotComplete { .. } | View::EvaluationResult)
    })
    .await?;
    if !matches!(end.view, View::Tap { .. }) {
        return Err(format!("{persona} ended on {}", screen(&end.view)));
    }
    let (_, t, r) =
        timed(client, client.done(), |v| matches!(v, View::Attract), &mut out.stray).await?;
    out.command.push(("done", t));
    out.reply.push(("done", r));
    wait(client, "attract", |v| matches!(v.view, View::Attract)).await?;
    out.recovery.push(start.elapsed());
    Ok(())
}

/// After a failed recovery: back to attract.
async fn reset(client: &ServiceClient) {
    let _ = client.cancel().await;
    let _ = wait(client, "attract after a failure", |v| matches!(v.view, View::Attract)).await;
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    (sorted[i.min(sorted.len() - 1)] * 100.0).round() / 100.0
}

fn summary(values: impl IntoIterator<Item = Duration>) -> Value {
    let mut v: Vec<f64> = values.into_iter().map(ms).collect();
    v.sort_by(f64::total_cmp);
    json!({
        "n": v.len(),
        "p50": pct(&v, 0.5),
        "p99": pct(&v, 0.99),
        "max": v.last().map_or(f64::NAN, |m| (m * 100.0).round() / 100.0),
    })
}

fn by_kind(samples: &[Sample]) -> Value {
    let mut kinds: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    for (k, d) in samples {
        kinds.entry(k).or_default().push(*d);
    }
    Value::Object(kinds.into_iter().map(|(k, v)| (k.to_owned(), summary(v))).collect())
}

fn offline(id: &str) -> StationView {
    StationView {
        mode: reclaim_protocol::StationMode::Demo,
        station_id: id.into(),
        ready: false,
        problems: vec![],
        default_locale: reclaim_protocol::Locale::En,
        camera: Default::default(),
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    assert!(args.stations >= 1 && !args.personas.is_empty());
    let started = Instant::now();
    let nice = args.cloud_nice;
    let cloud_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.cloud_threads.max(1))
        // Few blocking threads too: a hundred niced threads (the hosted flows render their cards
        // on blocking threads) would together outweigh the service's two (CFS shares CPU by the
        // sum of the runnable threads' weights).
        .max_blocking_threads(args.cloud_threads.max(1))
        .thread_name("cloud")
        .on_thread_start(move || {
            if nice != 0 {
                lower_priority(nice);
            }
        })
        .enable_all()
        .build()
        .expect("the emulated cloud's runtime");
    let cloud = cloud_rt.handle().clone();
    let stack_options = DemoOptions {
        extra_stations: args.stations - 1,
        emulator_runtime: Some(cloud.clone()),
        ..DemoOptions::default()
    };
    let stack = DemoStack::start(stack_options).await.expect("the demo stack starts");
    let service = DemoService::on_stack(
        Arc::new(stack),
        DemoServiceOptions {
            limits: Limits { max_per_address: 4 * args.stations + 64, ..Limits::default() },
            settings: Some(Arc::new(|s: &mut reclaim_engine::EngineSettings| {
                s.rate_limits = RateLimits::unlimited();
                s.config.face_check_budget_per_day = 1_000_000;
                s.result_dwell = Duration::ZERO;
                s.preflight_interval = None;
                s.config.idle_timeout_secs = 3600;
                let t = &mut s.config.timeouts;
                t.eligibility_secs = 60;
                t.scan_id_secs = 120;
                t.issuance_secs = 120;
                t.presentation_secs = 120;
                t.verifying_secs = 60;
                t.issuing_tap_secs = 60;
            })),
            ..Default::default()
        },
    )
    .await
    .expect("the demo service starts");
    let service_start = started.elapsed();
    let stack = service.stack().clone();
    let fixture = stack.emulator().state.fixture();
    let upns: Vec<(String, String)> = args
        .personas
        .iter()
        .map(|p| {
            let persona = fixture.persona(p).unwrap_or_else(|| panic!("no persona {p}"));
            (p.clone(), persona.user_principal_name.clone())
        })
        .collect();

    // Enrol and connect every station (each client: its own HTTP connections and view stream).
    let enrolled = Instant::now();
    let credentials: Vec<_> = (0..args.stations)
        .map(|k| service.enroll(&format!("load-{k:03}")).expect("enrol"))
        .collect();
    let options =
        ClientOptions { request_timeout: Duration::from_secs(60), ..ClientOptions::default() };
    let clients: Vec<ServiceClient> = futures::future::join_all(credentials.into_iter().map(|c| {
        let id = c.station_id.clone();
        ServiceClient::connect(c, offline(&id), options.clone())
    }))
    .await
    .into_iter()
    .map(|c| c.expect("connect"))
    .collect();
    for c in &clients {
        wait(c, "a ready station", |v| v.station.ready).await.expect("ready");
    }
    let connect_time = enrolled.elapsed();

    // Warm-up, then the timed phase: every station recovers back to back until the deadline.
    let stations: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(k, client)| {
            let phone = stack.phone_named(&format!("{}-phone", client.station_id()));
            let (persona, upn) = upns[k % upns.len()].clone();
            (client, phone, persona, upn)
        })
        .collect();
    let stations = Arc::new(stations);
    let all = Arc::new(Mutex::new(Samples::default()));
    let mut elapsed = Duration::ZERO;
    for timed_phase in [false, true] {
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs_f64(args.duration);
        let tasks: Vec<_> = (0..stations.len())
            .map(|k| {
                let stations = stations.clone();
                let all = all.clone();
                let cloud = cloud.clone();
                let (warmup, max, score) = (args.warmup, args.max_per_station, args.score);
                let offset = Duration::from_secs_f64(
                    args.stagger.max(0.0) * k as f64 / stations.len().max(1) as f64,
                );
                tokio::spawn(async move {
                    let (client, phone, persona, upn) = &stations[k];
                    if timed_phase {
                        tokio::time::sleep(offset).await;
                    }
                    let mut mine = Samples::default();
                    let mut n = 0;
                    loop {
                        let more = if timed_phase {
                            Instant::now() < deadline && (max == 0 || n < max)
                        } else {
                            n < warmup
                        };
                        if !more {
                            break;
                        }
                        n += 1;
                        if let Err(e) =
                            recover(&cloud, client, phone, persona, upn, score, &mut mine).await
                        {
                            mine.failures.push(e);
                            reset(client).await;
                        }
                    }
                    if timed_phase {
                        let mut all = all.lock().await;
                        all.command.extend(mine.command);
                        all.reply.extend(mine.reply);
                        all.phone.extend(mine.phone);
                        all.recovery.extend(mine.recovery);
                        all.failures.extend(mine.failures);
                        all.stray += mine.stray;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("a station's task");
        }
        if timed_phase {
            elapsed = t0.elapsed();
        }
    }

    let all = all.lock().await;
    let recoveries = all.recovery.len();
    let commands = summary(all.command.iter().map(|(_, d)| *d));
    let p99 = commands["p99"].as_f64().unwrap_or(f64::NAN);
    let mut failures: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &all.failures {
        *failures.entry(f.as_str()).or_default() += 1;
    }
    let stats = service.service().server().stats();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let out = json!({
        "bench": "stations_load",
        "stations": args.stations,
        "personas": args.personas,
        "serviceStartMs": (ms(service_start) * 10.0).round() / 10.0,
        "enrolAndConnectMs": (ms(connect_time) * 10.0).round() / 10.0,
        "timedSeconds": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
        "recoveries": recoveries,
        "recoveriesPerSec": (recoveries as f64 / elapsed.as_secs_f64() * 100.0).round() / 100.0,
        "failures": all.failures.len(),
        "failureKinds": failures,
        "strayUpdates": all.stray,
        "commandToViewMs": commands,
        "byCommand": by_kind(&all.command),
        "commandReplyMs": by_kind(&all.reply),
        "phoneToViewMs": by_kind(&all.phone),
        "recoveryMs": summary(all.recovery.iter().copied()),
        "refusedConnections": stats.refused_total() + stats.refused_per_address(),
        "goalP99Ms": 30,
        "cloudNice": args.cloud_nice,
        "staggerSecs": args.stagger,
        "meetsGoal": p99 <= 30.0 && all.failures.is_empty(),
        "loadAvg": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    });
    println!("{out}");
    for (client, ..) in stations.iter() {
        client.close();
    }
    drop(all);
    service.shutdown().await;
    cloud_rt.shutdown_background();
}
