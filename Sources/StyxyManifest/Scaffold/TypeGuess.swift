/// Guesses a service's catalog type from what a project already says about it: the programs its
/// command runs, its Compose image, its name, and finally its port. Every rule yields only types
/// the catalog in force knows, so a guess can never make the proposal invalid.
struct TypeGuess {
    let catalog: Catalog

    /// Programs and images, each matched as a whole word, and the type they suggest. The first
    /// word of a command or image that is listed wins, so `vitepress serve` is docs, not dev.
    static let keywords: [String: String] = {
        let table: [(String, [String])] = [
            ("dev", ["vite", "next", "nuxt", "nuxi", "astro", "webpack", "webpack-dev-server", "react-scripts", "remix",
                     "parcel", "gatsby", "svelte-kit", "ng", "ember", "expo", "rails", "runserver", "puma", "serve"]),
            ("storybook", ["storybook", "start-storybook"]),
            ("functions", ["firebase", "functions", "functions-framework", "netlify", "wrangler", "func", "serverless"]),
            ("api", ["uvicorn", "gunicorn", "hypercorn", "fastapi", "flask", "json-server", "nest", "strapi"]),
            ("docs", ["docusaurus", "vitepress", "mkdocs", "docsify", "mintlify", "mdbook"]),
            ("database", ["postgres", "postgresql", "postgis", "pgvector", "timescaledb", "mysql", "mariadb", "mongo",
                          "mongodb", "cockroach", "couchdb", "clickhouse", "neo4j", "cassandra", "scylla"]),
            ("infrastructure", ["redis", "valkey", "keydb", "memcached", "dragonfly", "minio", "localstack"]),
            ("messaging", ["rabbitmq", "kafka", "redpanda", "nats", "mosquitto", "pulsar"]),
            ("ai", ["ollama", "vllm", "localai", "litellm"]),
            ("proxy", ["nginx", "traefik", "caddy", "haproxy", "envoy", "ngrok"]),
            ("monitoring", ["prometheus", "grafana", "jaeger", "loki", "zipkin", "otel", "opentelemetry"]),
            ("auth", ["keycloak", "authelia"]),
            ("coordination", ["zookeeper", "consul", "etcd"]),
        ]
        var result: [String: String] = [:]
        for (type, words) in table {
            for word in words { result[word] = type }
        }
        return result
    }()

    /// Words that, as a service's name or part of it, say what it is.
    static let nameAliases: [String: String] = [
        "web": "dev", "frontend": "dev", "client": "dev", "site": "dev",
        "backend": "api", "server": "api",
        "db": "database", "postgres": "database", "cache": "infrastructure",
        "queue": "messaging", "broker": "messaging", "mq": "messaging",
        "gateway": "proxy",
    ]

    /// The type of a command line, by the first program in it that is listed.
    func fromCommand(_ command: String) -> String? {
        for token in command.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            if let type = known(Self.keywords[Self.programName(token)]) { return type }
        }
        return nil
    }

    /// The type of a Compose image (`postgres:16`, `bitnami/redis`, `confluentinc/cp-kafka`).
    func fromImage(_ image: String) -> String? {
        var name = Substring(image.lowercased())
        if let at = name.firstIndex(of: "@") { name = name[..<at] }
        if let slash = name.lastIndex(of: "/") { name = name[name.index(after: slash)...] }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        return known(Self.keywords[String(name)]) ?? Self.words(name).lazy.compactMap { known(Self.keywords[$0]) }.first
    }

    /// The type a service's name suggests: a catalog type's own name, a listed program, or an alias.
    func fromName(_ name: String) -> String? {
        let lowered = name.lowercased()
        for word in [lowered] + Self.words(Substring(lowered)) {
            if catalog.types[word] != nil { return word }
            if let type = known(Self.keywords[word] ?? Self.nameAliases[word]) { return type }
        }
        return nil
    }

    /// The type whose range holds `port`; the narrowest when user types overlap.
    func fromPort(_ port: Int?) -> String? {
        guard let port else { return nil }
        return catalog.sortedTypes.filter { $0.range.contains(port) }
            .min { ($0.range.count, $0.name) < ($1.range.count, $1.name) }?.name
    }

    func isKnown(_ type: String) -> Bool { catalog.types[type] != nil }

    private func known(_ type: String?) -> String? {
        guard let type, catalog.types[type] != nil else { return nil }
        return type
    }

    /// `./node_modules/.bin/vite` → `vite`, `"storybook` → `storybook`, `vite@5` → `vite`.
    static func programName(_ token: Substring) -> String {
        var word = token.drop { "\"'(".contains($0) }
        while let last = word.last, "\"');&|".contains(last) { word = word.dropLast() }
        if let slash = word.lastIndex(of: "/") { word = word[word.index(after: slash)...] }
        if let at = word.dropFirst().firstIndex(of: "@") { word = word[..<at] }
        return word.lowercased()
    }

    static func words(_ name: Substring) -> [String] {
        name.split(whereSeparator: { "-_.:".contains($0) }).map(String.init)
    }
}
