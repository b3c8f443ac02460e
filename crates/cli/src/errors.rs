//! What buckle's library errors mean for the exit code and which hints they offer.
//! One arm per library crate; each crate's `Error` keeps its own `hint()`.

use crate::exit::Code;
use std::borrow::Cow;

/// The exit code a library error maps to, if it is one of buckle's.
pub fn code_of(err: &(dyn std::error::Error + 'static)) -> Option<Code> {
    if let Some(err) = err.downcast_ref::<buckle_archive::Error>() {
        return Some(archive_code(err));
    }
    if let Some(err) = err.downcast_ref::<buckle_http::Error>() {
        return Some(http_code(err));
    }
    if let Some(err) = err.downcast_ref::<buckle_app::Error>() {
        return Some(app_code(err));
    }
    if let Some(err) = err.downcast_ref::<buckle_image::Error>() {
        return Some(match err {
            buckle_image::Error::Internal { .. } => Code::Internal,
            _ => Code::BadInput,
        });
    }
    if let Some(buckle_sbom::Error::Internal { .. }) = err.downcast_ref::<buckle_sbom::Error>() {
        return Some(Code::Internal);
    }
    if let Some(err) = err.downcast_ref::<buckle_sign::Error>() {
        return Some(match err {
            buckle_sign::Error::Internal(_) => Code::Internal,
            _ => Code::BadInput,
        });
    }
    if let Some(err) = err.downcast_ref::<buckle_registry::Error>() {
        return Some(registry_code(err));
    }
    if let Some(err) = err.downcast_ref::<buckle_bundle::Error>() {
        return Some(bundle_code(err));
    }
    if err.is::<buckle_digest::Mismatch>() {
        return Some(Code::Untrusted);
    }
    let bad_input = err.is::<buckle_debian::Error>()
        || err.is::<buckle_digest::Error>()
        || err.is::<buckle_spec::Error>()
        || err.is::<buckle_resolve::Error>()
        || err.is::<buckle_oci::Error>()
        || err.is::<buckle_sbom::Error>()
        || err.is::<buckle_check::Error>()
        || err.is::<buckle_vuln::Error>()
        || err.is::<buckle_feeds::Error>();
    bad_input.then_some(Code::BadInput)
}

fn archive_code(err: &buckle_archive::Error) -> Code {
    use buckle_archive::Error as E;
    match err {
        E::Download { source, .. } => http_code(source),
        E::Internal(_) => Code::Internal,
        E::BadSignature { .. }
        | E::NotClearsigned { .. }
        | E::UnknownKey { .. }
        | E::KeyNotValid { .. }
        | E::WrongSuite { .. }
        | E::Expired { .. }
        | E::Rollback { .. }
        | E::IndexNotListed { .. }
        | E::IndexDigest { .. }
        | E::IndexSize { .. }
        | E::DebDigest { .. }
        | E::DebSize { .. } => Code::Untrusted,
        _ => Code::BadInput,
    }
}

fn bundle_code(err: &buckle_bundle::Error) -> Code {
    use buckle_bundle::Error as E;
    match err {
        E::Archive(source) => archive_code(source),
        E::Io { .. } | E::MemberPath { .. } => Code::BadInput,
        _ => Code::Untrusted,
    }
}

fn registry_code(err: &buckle_registry::Error) -> Code {
    use buckle_registry::Error as E;
    match err {
        E::Http(source) => http_code(source),
        E::Oci(_) | E::BadReference { .. } | E::InsecureNotLoopback { .. } | E::AmbiguousSource { .. } => {
            Code::BadInput
        }
        E::ManifestDigest { .. } | E::BlobDigest { .. } => Code::Untrusted,
        E::Internal(_) => Code::Internal,
        E::ImmutableTag { .. } | E::DockerConfig { .. } | E::CredentialHelper { .. } => Code::BadInput,
        _ => Code::Unreachable,
    }
}

fn app_code(err: &buckle_app::Error) -> Code {
    use buckle_app::Error as E;
    match err {
        E::Http(source) => http_code(source),
        E::HashMismatch { .. } | E::IntegrityMismatch { .. } | E::IndexHash { .. } => Code::Untrusted,
        E::IndexStatus { .. } => Code::Unreachable,
        _ => Code::BadInput,
    }
}

fn http_code(err: &buckle_http::Error) -> Code {
    match err {
        buckle_http::Error::Transport { .. }
        | buckle_http::Error::Status { .. }
        | buckle_http::Error::TooManyRedirects { .. }
        | buckle_http::Error::Offline { .. } => Code::Unreachable,
        _ => Code::BadInput,
    }
}

/// The hint a library error offers, if any.
pub fn hint_of(err: &(dyn std::error::Error + 'static)) -> Option<Cow<'static, str>> {
    if let Some(err) = err.downcast_ref::<buckle_bundle::Error>() {
        return err.hint().map(Cow::Owned);
    }
    macro_rules! hint_from {
        ($($ty:ty),*) => {
            $(if let Some(err) = err.downcast_ref::<$ty>() {
                return err.hint();
            })*
        };
    }
    hint_from!(
        buckle_archive::Error,
        buckle_app::Error,
        buckle_http::Error,
        buckle_spec::Error,
        buckle_resolve::Error,
        buckle_oci::Error,
        buckle_registry::Error,
        buckle_image::Error,
        buckle_sbom::Error,
        buckle_check::Error,
        buckle_sign::Error,
        buckle_vuln::Error,
        buckle_feeds::Error
    );
    None
}
