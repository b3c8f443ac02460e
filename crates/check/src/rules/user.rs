//! The user the container runs as (`User` in the config: `user`, `uid`,
//! `user:group`, `uid:gid`).

use super::{Context, Outcome};
use crate::report::Evidence;

const USER_FIELD: &str = "config:User";

/// The user and group parts of `User`.
fn split(raw: &str) -> (&str, Option<&str>) {
    match raw.trim().split_once(':') {
        Some((user, group)) => (user.trim(), Some(group.trim())),
        None => (raw.trim(), None),
    }
}

pub(super) fn root(cx: &Context<'_>) -> Outcome {
    let raw = cx.view.container().user.unwrap_or_default();
    let (user, group) = split(&raw);
    let at = || Evidence::at(USER_FIELD).detail(format!("`{raw}`"));
    if user.is_empty() {
        return Outcome::fail(
            "the image runs as root: `User` is not set",
            vec![Evidence::at(USER_FIELD).detail("not set")],
        );
    }
    let uid = match user.parse::<u32>() {
        Ok(uid) => uid,
        Err(_) if user == "root" => {
            return Outcome::fail("the image runs as root: `User` is `root`", vec![at()])
        }
        Err(_) => match cx.accounts.user(user) {
            Some(account) => account.id,
            None => {
                let why = if cx.accounts.users.is_none() {
                    "the image has no /etc/passwd"
                } else {
                    "/etc/passwd does not list it"
                };
                return Outcome::fail(
                    format!("user `{user}` cannot be resolved to a uid ({why}): the container does not start as that user"),
                    vec![at()],
                );
            }
        },
    };
    if uid == 0 {
        return Outcome::fail(
            format!("the image runs as root: `User` `{user}` has uid 0"),
            vec![at()],
        );
    }
    if let Some(group) = group.filter(|g| is_root_group(cx, g)) {
        return Outcome::warn(
            format!("the image runs as uid {uid} but with the root group (`{group}`): files group-owned by root are writable to it"),
            vec![at()],
        );
    }
    let name = cx
        .accounts
        .user_by_id(uid)
        .map(|a| format!(" (`{}`)", a.name))
        .unwrap_or_default();
    Outcome::pass(format!("the image runs as uid {uid}{name}"))
}

fn is_root_group(cx: &Context<'_>, group: &str) -> bool {
    match group.parse::<u32>() {
        Ok(gid) => gid == 0,
        Err(_) => group == "root" || cx.accounts.group(group).is_some_and(|g| g.id == 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_group_parts_are_split_and_trimmed() {
        assert_eq!(split("65532:65532"), ("65532", Some("65532")));
        assert_eq!(split(" app "), ("app", None));
        assert_eq!(split(":0"), ("", Some("0")));
    }
}
