//! `/etc/passwd` and `/etc/group` (passwd(5), group(5)) as the user rules read them.

use crate::view::ImageView;

/// One line of `/etc/passwd` or `/etc/group`: a name and its numeric id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// User or group name.
    pub name: String,
    /// uid or gid.
    pub id: u32,
}

/// The accounts an image defines. `None` lists mean the file is missing or unread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounts {
    /// Users from `/etc/passwd`.
    pub users: Option<Vec<Account>>,
    /// Groups from `/etc/group`.
    pub groups: Option<Vec<Account>>,
}

impl Accounts {
    /// Reads both files from the view (links followed); malformed lines are skipped.
    pub fn of(view: &ImageView) -> Self {
        Accounts {
            users: view.content("etc/passwd").map(parse),
            groups: view.content("etc/group").map(parse),
        }
    }

    /// The user named `name`.
    pub fn user(&self, name: &str) -> Option<&Account> {
        self.users.as_ref()?.iter().find(|a| a.name == name)
    }

    /// The first user with uid `id`.
    pub fn user_by_id(&self, id: u32) -> Option<&Account> {
        self.users.as_ref()?.iter().find(|a| a.id == id)
    }

    /// The group named `name`.
    pub fn group(&self, name: &str) -> Option<&Account> {
        self.groups.as_ref()?.iter().find(|a| a.name == name)
    }
}

/// `name:password:id:...` lines.
fn parse(bytes: &[u8]) -> Vec<Account> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?.trim();
            let id = fields.nth(1)?.trim().parse().ok()?;
            (!name.is_empty()).then(|| Account {
                name: name.to_owned(),
                id,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_give_names_and_ids_and_bad_lines_are_skipped() {
        let accounts = parse(b"root:x:0:0:root:/root:/sbin/nologin\n# comment\nbroken\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\nx:x:notanumber:0\n");
        assert_eq!(
            accounts,
            [
                Account {
                    name: "root".into(),
                    id: 0
                },
                Account {
                    name: "nonroot".into(),
                    id: 65532
                }
            ]
        );
    }
}
