//! `generate`: the base's hardening, read back from the YAML it writes.

use crate::support::TestImage;
use buckle_deploy::{generate, DeployOptions, Error, Health, ImageFacts, Seccomp};
use serde_yaml::Value;

fn options(port: Option<u16>) -> DeployOptions {
    DeployOptions {
        name: "api".into(),
        namespace: None,
        port,
        image_name: "python".into(),
        repository: Some("registry.example/hardened/python".into()),
        health: Health::Tcp,
        args: vec!["-m".into(), "http.server".into()],
        seccomp: Seccomp::RuntimeDefault,
    }
}

fn facts(image: &TestImage) -> (ImageFacts, String) {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("python");
    let (index, _) = image.write(&layout);
    (ImageFacts::from_layout(layout.to_str().unwrap()).unwrap(), index)
}

fn yaml(base: &buckle_deploy::Base, path: &str) -> Value {
    serde_yaml::from_str(base.files.get(path).unwrap_or_else(|| panic!("no {path}"))).unwrap()
}

#[test]
fn the_deployment_meets_the_restricted_profile_in_every_field() {
    let (facts, index) = facts(&TestImage::default());
    assert_eq!(facts.architectures, ["amd64", "arm64"]);
    let base = generate(&facts, &options(None)).unwrap();
    assert_eq!(base.port, 8080, "the image's only exposed port");
    let deployment = yaml(&base, "deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    // Pinned to the index digest, so that every node pulls its own architecture.
    assert_eq!(container["image"].as_str().unwrap(), format!("python@{index}"));
    assert_eq!(pod["automountServiceAccountToken"], Value::Bool(false));
    for context in [&pod["securityContext"], &container["securityContext"]] {
        assert_eq!(context["runAsNonRoot"], Value::Bool(true));
        assert_eq!(context["runAsUser"].as_u64(), Some(65532));
        assert_eq!(context["runAsGroup"].as_u64(), Some(65532));
        assert_eq!(context["seccompProfile"]["type"].as_str(), Some("RuntimeDefault"));
    }
    assert_eq!(pod["securityContext"]["fsGroup"].as_u64(), Some(65532));
    let context = &container["securityContext"];
    assert_eq!(context["allowPrivilegeEscalation"], Value::Bool(false));
    assert_eq!(context["readOnlyRootFilesystem"], Value::Bool(true));
    assert_eq!(context["capabilities"]["drop"][0].as_str(), Some("ALL"));
    assert!(
        context["capabilities"].get("add").is_none(),
        "no capability for port 8080"
    );
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    assert_eq!(
        mounts,
        ["/tmp", "/var/cache/app"],
        "scratch and the image's declared volume"
    );
    for volume in pod["volumes"].as_sequence().unwrap() {
        assert!(volume["emptyDir"]["sizeLimit"].is_string(), "{volume:?}");
    }
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(container[probe]["tcpSocket"]["port"].as_str(), Some("http"));
        assert!(container[probe].get("exec").is_none());
    }
    for kind in ["requests", "limits"] {
        assert!(container["resources"][kind]["cpu"].is_string());
        assert!(container["resources"][kind]["memory"].is_string());
    }
    assert_eq!(container["args"][1].as_str(), Some("http.server"));
    let account = yaml(&base, "serviceaccount.yaml");
    assert_eq!(account["automountServiceAccountToken"], Value::Bool(false));
}

#[test]
fn the_network_policy_allows_only_the_port_in_and_dns_out() {
    let (facts, _) = facts(&TestImage::default());
    let base = generate(&facts, &options(Some(9000))).unwrap();
    let policy = yaml(&base, "networkpolicy.yaml");
    let spec = &policy["spec"];
    assert_eq!(
        spec["policyTypes"],
        serde_yaml::from_str::<Value>("[Ingress, Egress]").unwrap()
    );
    let ingress = spec["ingress"].as_sequence().unwrap();
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["ports"][0]["port"].as_u64(), Some(9000));
    let egress = spec["egress"].as_sequence().unwrap();
    assert_eq!(egress.len(), 1);
    let ports: Vec<u64> = egress[0]["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["port"].as_u64().unwrap())
        .collect();
    assert_eq!(ports, [53, 53]);
    assert_eq!(
        egress[0]["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str(),
        Some("kube-system")
    );
    let budget = yaml(&base, "poddisruptionbudget.yaml");
    assert_eq!(budget["spec"]["maxUnavailable"].as_u64(), Some(1));
}

#[test]
fn choices_are_patches_and_the_digest_is_in_the_kustomization() {
    let (facts, index) = facts(&TestImage::default());
    let base = generate(&facts, &options(None)).unwrap();
    let kustomization = yaml(&base, "kustomization.yaml");
    assert_eq!(kustomization["namespace"].as_str(), Some("api"));
    assert_eq!(
        kustomization["images"][0]["digest"].as_str(),
        Some(index.as_str())
    );
    assert_eq!(
        kustomization["images"][0]["newName"].as_str(),
        Some("registry.example/hardened/python")
    );
    for patch in kustomization["patches"].as_sequence().unwrap() {
        let path = patch["path"].as_str().unwrap();
        assert!(base.files.get(path).is_some(), "{path} is listed and written");
    }
    let replicas = yaml(&base, "patches/replicas.yaml");
    assert_eq!(replicas["spec"]["replicas"].as_u64(), Some(2));
    let namespace = yaml(&base, "namespace.yaml");
    assert_eq!(
        namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as_str(),
        Some("restricted")
    );
}

#[test]
fn a_port_below_1024_keeps_net_bind_service_and_says_so() {
    let (facts, _) = facts(&TestImage::default());
    let mut wanted = options(Some(80));
    wanted.health = Health::Http("/healthz".into());
    let base = generate(&facts, &wanted).unwrap();
    let deployment = yaml(&base, "deployment.yaml");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["securityContext"]["capabilities"]["add"][0].as_str(),
        Some("NET_BIND_SERVICE")
    );
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"][0].as_str(),
        Some("ALL")
    );
    assert!(
        base.notes.iter().any(|n| n.contains("NET_BIND_SERVICE")),
        "{:?}",
        base.notes
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"]["path"].as_str(),
        Some("/healthz")
    );
}

#[test]
fn a_localhost_seccomp_profile_is_named_in_pod_and_container() {
    let (facts, _) = facts(&TestImage::default());
    let mut wanted = options(None);
    wanted.seccomp = Seccomp::Localhost("buckle/python.json".into());
    let base = generate(&facts, &wanted).unwrap();
    let deployment = yaml(&base, "deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    for profile in [
        &pod["securityContext"]["seccompProfile"],
        &pod["containers"][0]["securityContext"]["seccompProfile"],
    ] {
        assert_eq!(profile["type"].as_str(), Some("Localhost"));
        assert_eq!(profile["localhostProfile"].as_str(), Some("buckle/python.json"));
    }
}

#[test]
fn images_that_cannot_run_restricted_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    for (user, fix) in [("0:0", "nonroot"), ("nobody", "numeric")] {
        let layout = dir.path().join(user.replace(':', "-"));
        TestImage {
            user,
            ..TestImage::default()
        }
        .write(&layout);
        let error = ImageFacts::from_layout(layout.to_str().unwrap()).unwrap_err();
        assert!(
            matches!(error, Error::RunsAsRoot { .. } | Error::User { .. }),
            "{error}"
        );
        assert!(error.hint().unwrap().contains(fix), "{:?}", error.hint());
    }
    let two_ports = dir.path().join("two");
    TestImage {
        ports: vec!["8080/tcp", "9090/tcp"],
        ..TestImage::default()
    }
    .write(&two_ports);
    let facts = ImageFacts::from_layout(two_ports.to_str().unwrap()).unwrap();
    let error = generate(&facts, &options(None)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "no port to serve: the image declares several TCP ports (8080, 9090)"
    );
    let mut bad = options(Some(80));
    bad.name = "My_App".into();
    assert!(matches!(
        generate(&facts, &bad),
        Err(Error::Invalid { what: "name", .. })
    ));
}
