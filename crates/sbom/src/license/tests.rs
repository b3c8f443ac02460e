use super::*;

const FORMAT: &str =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: demo\n";

fn copyright(licenses: &[&str]) -> String {
    let mut text = FORMAT.to_owned();
    for (index, license) in licenses.iter().enumerate() {
        text.push_str(&format!(
            "\nFiles: part{index}/*\nCopyright: 2020 Someone\nLicense: {license}\n Some license text.\n .\n More text.\n"
        ));
    }
    text.push_str("\nLicense: GPL-2+\n On Debian systems, see /usr/share/common-licenses/GPL-2.\n");
    text
}

fn expression(licenses: &[&str]) -> String {
    LicenseInfo::from_copyright(&copyright(licenses))
        .spdx()
        .to_owned()
}

#[test]
fn dep5_short_names_become_one_sorted_deduplicated_and_expression() {
    assert_eq!(
        expression(&[
            "GPL-2+",
            "BSD-3-clause",
            "Expat",
            "GPL-2+",
            "LGPL-2.1+",
            "Apache-2.0"
        ]),
        "Apache-2.0 AND BSD-3-Clause AND GPL-2.0-or-later AND LGPL-2.1-or-later AND MIT"
    );
}

#[test]
fn gnu_names_map_to_only_and_or_later_ids() {
    let cases = [
        ("GPL-2", "GPL-2.0-only"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("GPL-3+", "GPL-3.0-or-later"),
        ("LGPL-2", "LGPL-2.0-only"),
        ("LGPL-2+", "LGPL-2.0-or-later"),
        ("lgpl-2.1", "LGPL-2.1-only"),
        ("AGPL-3+", "AGPL-3.0-or-later"),
        ("GFDL-1.3+", "GFDL-1.3-or-later"),
        ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
        ("GPL-1+ or Artistic", "Artistic-1.0-Perl OR GPL-1.0-or-later"),
    ];
    for (debian, spdx) in cases {
        assert_eq!(expression(&[debian]), spdx, "{debian}");
    }
}

#[test]
fn names_matching_spdx_ignoring_case_take_the_spdx_spelling() {
    assert_eq!(expression(&["zlib"]), "Zlib");
    assert_eq!(expression(&["bsd-2-clause"]), "BSD-2-Clause");
    assert_eq!(expression(&["CC0"]), "CC0-1.0");
    assert_eq!(expression(&["OpenLDAP-2.8"]), "OLDAP-2.8");
}

#[test]
fn unknown_and_unversioned_names_become_declared_license_refs() {
    let info = LicenseInfo::from_copyright(&copyright(&[
        "public-domain",
        "GPL",
        "BSD-3-Viagénie",
        "MPL-1.1+",
    ]));
    let expression = info.expression().unwrap();
    assert_eq!(
        expression.as_str(),
        "LicenseRef-BSD-3-Viag-nie AND LicenseRef-GPL AND LicenseRef-MPL-1.1-plus AND LicenseRef-public-domain"
    );
    let names: Vec<(&str, Vec<&str>)> = expression
        .license_refs()
        .iter()
        .map(|(id, names)| (id.as_str(), names.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        names,
        [
            ("LicenseRef-BSD-3-Viag-nie", vec!["BSD-3-Viagénie"]),
            ("LicenseRef-GPL", vec!["GPL"]),
            ("LicenseRef-MPL-1.1-plus", vec!["MPL-1.1+"]),
            ("LicenseRef-public-domain", vec!["public-domain"]),
        ]
    );
}

#[test]
fn and_binds_tighter_than_or_unless_a_comma_comes_first() {
    assert_eq!(
        expression(&["GPL-2+ or AFL-2.1 and Expat"]),
        "(AFL-2.1 AND MIT) OR GPL-2.0-or-later"
    );
    assert_eq!(
        expression(&["GPL-2+ or AFL-2.1, and Expat"]),
        "(AFL-2.1 OR GPL-2.0-or-later) AND MIT"
    );
}

#[test]
fn known_exceptions_use_with_and_unknown_ones_become_one_license_ref() {
    assert_eq!(
        expression(&["GPL-2+ with Autoconf exception"]),
        "GPL-2.0-or-later WITH Autoconf-exception-2.0"
    );
    assert_eq!(
        expression(&["GPL-3+ with Bison exception"]),
        "GPL-3.0-or-later WITH Bison-exception-2.2"
    );
    assert_eq!(
        expression(&["Apache-2.0 with LLVM exception"]),
        "Apache-2.0 WITH LLVM-exception"
    );
    let info = LicenseInfo::from_copyright(&copyright(&["GPL-2+ with OpenSSL exception"]));
    let expression = info.expression().unwrap();
    assert_eq!(
        expression.as_str(),
        "LicenseRef-GPL-2-plus-with-OpenSSL-exception"
    );
    assert!(
        expression.license_refs()["LicenseRef-GPL-2-plus-with-OpenSSL-exception"]
            .contains("GPL-2+ with OpenSSL exception")
    );
}

#[test]
fn a_line_outside_the_grammar_is_kept_whole_as_a_license_ref() {
    assert_eq!(
        expression(&["BSD-3-clause and/or GPL-3+"]),
        "LicenseRef-BSD-3-clause-and-or-GPL-3-plus"
    );
}

#[test]
fn free_form_copyright_is_no_assertion() {
    let text = "This package was debianized by someone.\n\nCopyright: 1999 Someone\n\nLicense: GPL-2+\n";
    assert_eq!(LicenseInfo::from_copyright(text), LicenseInfo::NoAssertion);
    let wrong_format =
        "Format: https://example.org/some-other-format\n\nFiles: *\nCopyright: x\nLicense: MIT\n";
    assert_eq!(
        LicenseInfo::from_copyright(wrong_format),
        LicenseInfo::NoAssertion
    );
}

#[test]
fn files_paragraph_whose_license_starts_with_its_text_is_no_assertion() {
    let text =
        format!("{FORMAT}\nFiles: *\nCopyright: 2020 A\nLicense:\n Permission is granted to do anything.\n");
    assert_eq!(LicenseInfo::from_copyright(&text), LicenseInfo::NoAssertion);
}

#[test]
fn header_license_and_standalone_license_paragraphs_are_not_counted() {
    let text = format!(
        "{FORMAT}License: Apache-2.0\n\nFiles: *\nCopyright: 2020 A\nLicense: ISC\n\nLicense: MIT\n Text.\n"
    );
    assert_eq!(LicenseInfo::from_copyright(&text).spdx(), "ISC");
}

#[test]
fn dep5_draft_format_urls_are_machine_readable() {
    let text = "Format: http://dep.debian.net/deps/dep5\n\nFiles: *\nCopyright: x\nLicense: GPL-2+\n";
    assert_eq!(LicenseInfo::from_copyright(text).spdx(), "GPL-2.0-or-later");
}

#[test]
fn identifier_table_is_sorted_for_binary_search() {
    for pair in spdx_ids::LICENSES.windows(2) {
        assert_eq!(
            compare_ignoring_case(pair[0], pair[1]),
            Ordering::Less,
            "{pair:?}"
        );
    }
}

#[test]
fn every_identifier_this_module_writes_is_on_the_spdx_list() {
    for (_, spdx) in ALIASES {
        assert!(lookup(spdx).is_some(), "{spdx}");
    }
    let exceptions = [
        ("GPL-2.0-or-later", "Autoconf"),
        ("GPL-3.0-only", "autoconf"),
        ("GPL-3.0-or-later", "Bison"),
        ("GPL-2.0-only", "Classpath"),
        ("GPL-2.0-only", "Font"),
        ("GPL-3.0-or-later", "GCC-Runtime-3.1"),
        ("GPL-2.0-or-later", "Libtool"),
        ("GPL-2.0-only", "Linux-syscall-note"),
        ("Apache-2.0", "LLVM"),
        ("GPL-3.0-or-later", "Texinfo"),
    ];
    for (license, words) in exceptions {
        let id = exception_id(license, words).unwrap();
        assert!(spdx_ids::EXCEPTIONS.contains(&id), "{id}");
    }
}

#[test]
fn package_metadata_licenses_are_kept_only_when_they_are_spdx_expressions() {
    assert_eq!(spdx_expression("MIT").as_deref(), Some("MIT"));
    assert_eq!(spdx_expression("bsd-3-clause").as_deref(), Some("BSD-3-Clause"));
    assert_eq!(
        spdx_expression("(Apache-2.0 or MIT) AND ISC").as_deref(),
        Some("(Apache-2.0 OR MIT) AND ISC")
    );
    for free_text in [
        "BSD License",
        "Apache 2.0",
        "MIT AND",
        "(MIT",
        "MIT)",
        "",
        "UNLICENSED",
        "SEE LICENSE IN LICENSE.md",
    ] {
        assert_eq!(spdx_expression(free_text), None, "{free_text:?}");
    }
}
