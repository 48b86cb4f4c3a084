//! User profile photo (`microsoft-apis-v2.md` §3.3): `GET /users/{id | upn}/photo/$value` (the
//! JPEG bytes) and `GET /users/{id | upn}/photo` (its metadata). A fixture user's photo is the
//! synthetic face of the persona who names the user (else of the UPN); a user with
//! `photo = false` has none, and both calls answer 404 `ImageNotFound` as the service does today.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::Digest as _;

use super::{Ctx, User, user_not_found};
use crate::provider::portrait;
use crate::state::AppState;
use crate::wire_error::GraphError;

/// Roles that allow reading a user's photo (§3.3: `ProfilePhoto.Read.All` is the least; older
/// copies of the page name `User.Read.All`).
pub(crate) const PHOTO_READ: &[&str] =
    &["ProfilePhoto.Read.All", "ProfilePhoto.ReadWrite.All", "User.Read.All", "User.ReadWrite.All"];

/// The sizes Graph documents for `/photos/{size}` (§3.3); those larger than the stored photo
/// ([`portrait::PROFILE_PHOTO_SIZE`]) are not available.
pub const PHOTO_SIZES: [u32; 9] = [48, 64, 96, 120, 240, 360, 432, 504, 648];

/// Whose face the user's photo shows: the first persona naming the user, else the UPN.
fn face_key<'a>(state: &'a AppState, u: &'a User) -> &'a str {
    state
        .fixture()
        .personas
        .iter()
        .find(|p| p.user_principal_name.eq_ignore_ascii_case(&u.user_principal_name))
        .map_or(u.user_principal_name.as_str(), |p| p.key.as_str())
}

/// The user's profile photo as JPEG bytes, `None` when the user has none.
pub fn user_photo(state: &AppState, u: &User) -> Option<Vec<u8>> {
    u.photo.then(|| portrait::profile_photo_jpeg(face_key(state, u)))
}

/// 404 `ImageNotFound`, the body the service sends for a user without a photo (§3.3, ISSUE).
fn image_not_found() -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "ImageNotFound",
        "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
    )
}

/// The user named by `key` and their photo bytes.
fn photo_of(ctx: &Ctx, key: &str) -> Result<(User, Vec<u8>), GraphError> {
    ctx.authorize(&[PHOTO_READ])?;
    let user = ctx.state.directory().user(key).ok_or_else(|| user_not_found(key))?;
    let bytes = user_photo(&ctx.state, &user).ok_or_else(image_not_found)?;
    Ok((user, bytes))
}

/// `"…"`: 8 upper-case hex digits of the photo's hash, quoted (the doc's `"BA09D118"` form).
fn media_etag(bytes: &[u8]) -> String {
    let digest = sha2::Sha256::digest(bytes);
    format!("\"{:02X}{:02X}{:02X}{:02X}\"", digest[0], digest[1], digest[2], digest[3])
}

/// `GET /{version}/users/{id | upn}/photo/$value` — 200 `image/jpeg` bytes, or 404 `ImageNotFound`.
pub(crate) async fn photo_value(ctx: Ctx, Path(key): Path<String>) -> Response {
    let r = photo_of(&ctx, &key).map(|(_, bytes)| {
        (StatusCode::OK, [(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response()
    });
    ctx.respond(r)
}

/// `GET /{version}/users/{id | upn}/photo` — 200 metadata
/// `{@odata.context, @odata.mediaContentType, @odata.mediaEtag, id, width, height}`, or 404
/// `ImageNotFound` (current service behaviour; the doc still shows a 1×1 GIF, §3.3).
pub(crate) async fn photo_metadata(ctx: Ctx, Path(key): Path<String>) -> Response {
    let r = photo_of(&ctx, &key).map(|(_, bytes)| {
        let size = portrait::PROFILE_PHOTO_SIZE;
        let body = json!({
            "@odata.context": ctx.metadata(&format!("users('{key}')/photo/$entity")),
            "@odata.mediaContentType": "image/jpeg",
            "@odata.mediaEtag": media_etag(&bytes),
            "id": format!("{size}x{size}"),
            "width": size,
            "height": size,
        });
        (StatusCode::OK, axum::Json(body)).into_response()
    });
    ctx.respond(r)
}

/// The available sizes, smallest first.
fn available_sizes() -> impl Iterator<Item = u32> {
    PHOTO_SIZES.into_iter().filter(|s| *s <= portrait::PROFILE_PHOTO_SIZE)
}

/// `GET /{version}/users/{id | upn}/photos` — the available sizes as photo metadata; 404
/// `ImageNotFound` without a photo (UNCONFIRMED: an empty list is as plausible).
pub(crate) async fn list_photos(ctx: Ctx, Path(key): Path<String>) -> Response {
    let r = photo_of(&ctx, &key).map(|(_, bytes)| {
        let etag = media_etag(&bytes);
        let value: Vec<serde_json::Value> = available_sizes()
            .map(|s| {
                json!({ "@odata.mediaEtag": etag, "id": format!("{s}x{s}"), "width": s, "height": s })
            })
            .collect();
        let body = json!({
            "@odata.context": ctx.metadata(&format!("users('{key}')/photos")),
            "value": value,
        });
        (StatusCode::OK, axum::Json(body)).into_response()
    });
    ctx.respond(r)
}

/// `GET /{version}/users/{id | upn}/photos/{size}/$value` — the photo at one available size
/// (`48x48` … `360x360`); 404 `ImageNotFound` for a size larger than the stored photo or not
/// documented (UNCONFIRMED code), or without a photo.
pub(crate) async fn photo_size_value(
    ctx: Ctx,
    Path((key, size)): Path<(String, String)>,
) -> Response {
    let r = photo_of(&ctx, &key).and_then(|(user, _)| {
        let side = size
            .split_once('x')
            .filter(|(w, h)| w == h)
            .and_then(|(w, _)| w.parse::<u32>().ok())
            .filter(|s| available_sizes().any(|a| a == *s))
            .ok_or_else(image_not_found)?;
        let bytes = portrait::profile_photo_jpeg_sized(face_key(&ctx.state, &user), side);
        Ok((StatusCode::OK, [(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
    });
    ctx.respond(r)
}
