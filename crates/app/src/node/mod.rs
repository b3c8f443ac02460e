//! Node: package-lock.json -> verified tarballs -> `node_modules`.
