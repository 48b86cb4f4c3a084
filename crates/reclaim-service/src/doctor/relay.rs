//! The relay check: it answers and accepts this station's credential.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---------------------------------------------------------------------------------------------
// relay

pub(super) async fn check_relay(setup: &Setup<'_>) -> Check {
    let id = CheckId::Relay;
    let Some(credential) = &setup.relay_credential else {
        return Check::skipped(id, CheckId::Config, Some("secret `relay-credential`"));
    };
    let base = root(&setup.prod.relay.url);
    let station = &setup.config.station.id;
    let reach_fix = "check relay.url, the network and, for a private CA, endpoints.ca_file";
    let health = setup.http.get(format!("{base}/healthz")).timeout(STEP_TIMEOUT).send().await;
    match health {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            return Check::fail(
                id,
                format!("{base}/healthz answered HTTP {}", r.status().as_u16()),
                "relay.url must be the relay's root (the URL its /healthz answers under)",
            );
        }
        Err(e) => {
            return Check::fail(id, format!("cannot reach {base}: {}", error_chain(&e)), reach_fix);
        }
    }
    // Abandoning a request that does not exist: 404 for a known station, 401 otherwise.
    let client =
        RelayClient::with_http_client(setup.http.clone(), &base, credential.expose_secret());
    let probe = format!("reclaim-doctor-{}", uuid::Uuid::new_v4().simple());
    match tokio::time::timeout(STEP_TIMEOUT, client.abandon(&probe)).await {
        Ok(Ok(())) | Ok(Err(RelayError::Status { status: 404, .. })) => {
            Check::pass(id, format!("{base} answers and accepts station {station}"))
        }
        Ok(Err(RelayError::Status { status: status @ (401 | 403), .. })) => Check::fail(
            id,
            format!("{base} refuses this station's credential (HTTP {status})"),
            format!(
                "store the credential the relay holds for station {station} with \
                 `reclaim-config set-secret relay-credential`"
            ),
        ),
        Ok(Err(RelayError::Status { status, .. })) => Check::fail(
            id,
            format!("{base} answered HTTP {status} to an authenticated call"),
            "relay.url must be the relay's root; check the relay's log",
        ),
        Ok(Err(e)) => {
            Check::fail(id, format!("cannot reach {base}: {}", error_chain(&e)), reach_fix)
        }
        Err(_) => {
            Check::fail(id, format!("{base} did not answer within {STEP_TIMEOUT:?}"), reach_fix)
        }
    }
}
