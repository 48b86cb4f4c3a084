//! The clock check: the `Date` of the token endpoint's (else Graph's) answer against this clock.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// clock

/// Parses an HTTP `Date` (`Thu, 20 Aug 2026 12:00:00 GMT`).
pub(super) fn parse_http_date(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value.trim(), &Rfc2822).ok()
}

/// How far this clock is ahead of the server's (negative: behind), in seconds, from the
/// server's `Date` and the local times the request was sent and answered. `Date` has whole
/// seconds, so the server's time is taken as the middle of its second.
pub(super) fn clock_offset(
    date: OffsetDateTime,
    sent: OffsetDateTime,
    answered: OffsetDateTime,
) -> f64 {
    let local = sent + (answered - sent) / 2_i32;
    let server = date + time::Duration::milliseconds(500);
    (local - server).as_seconds_f64()
}

/// `7 min 12 s`, `0.4 s`, `2 h 3 min`.
pub(super) fn human_seconds(seconds: f64) -> String {
    let s = seconds.abs();
    if s < 60.0 {
        return format!("{s:.1} s");
    }
    let whole = s.round() as u64;
    let (h, m, sec) = (whole / 3600, (whole % 3600) / 60, whole % 60);
    match (h, m, sec) {
        (0, m, s) => format!("{m} min {s} s"),
        (h, m, _) if h < 48 => format!("{h} h {m} min"),
        (h, _, _) => format!("{} days {} h", h / 24, h % 24),
    }
}

/// The clock check's line for an offset measured against `host`.
pub(super) fn judge_clock(offset: f64, host: &str) -> Check {
    let id = CheckId::ClockSkew;
    let direction = if offset >= 0.0 { "ahead of" } else { "behind" };
    let detail = format!("{} {direction} {host}", human_seconds(offset));
    if offset.abs() <= MAX_CLOCK_SKEW.as_secs_f64() {
        Check::pass(id, detail)
    } else {
        Check::fail(
            id,
            format!("this clock is {detail} (more than {} min)", MAX_CLOCK_SKEW.as_secs() / 60),
            "set the time from NTP (`timedatectl set-ntp true`; check that the NTP server is \
             reachable): tokens, certificate assertions and Verified ID requests fail beyond 5 \
             minutes",
        )
    }
}

pub(super) async fn check_clock(setup: &Setup<'_>) -> Check {
    let login = root(&setup.prod.endpoints.login);
    let graph = root(&setup.prod.endpoints.graph);
    let tenant = &setup.prod.tenant.id;
    let candidates = [
        format!("{login}/{tenant}/v2.0/.well-known/openid-configuration"),
        format!("{graph}/v1.0/$metadata"),
    ];
    let mut why = String::new();
    for url in &candidates {
        let sent = OffsetDateTime::from(SystemTime::now());
        let answer = tokio::time::timeout(STEP_TIMEOUT, setup.http.get(url).send()).await;
        let answered = OffsetDateTime::from(SystemTime::now());
        match answer {
            Ok(Ok(resp)) => {
                let date = resp
                    .headers()
                    .get(reqwest::header::DATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_http_date);
                match date {
                    Some(date) => {
                        return judge_clock(clock_offset(date, sent, answered), &host_of(url));
                    }
                    None => why = format!("{} sent no Date header", host_of(url)),
                }
            }
            Ok(Err(e)) => why = format!("cannot reach {}: {}", host_of(url), error_chain(&e)),
            Err(_) => why = format!("no answer from {} in {STEP_TIMEOUT:?}", host_of(url)),
        }
    }
    // Nothing to compare with: the token checks say why the tenant cannot be reached.
    Check {
        id: CheckId::ClockSkew,
        passed: false,
        detail: format!("{SKIPPED}an answer from endpoints.login or endpoints.graph ({why})"),
        fix: None,
    }
}
