"""The playbook's question set: backend questions with the card(s) a good answer must use.

Written before the retrieval was built, so the retrieval is judged against questions it was not
shaped around. Each entry is (question, the ids of the cards a good answer must draw on); an id
is a card's file name without `.md` under agent/playbook/cards/. OFF_TOPIC questions must get
"No playbook entry for this".
"""

from __future__ import annotations

QUESTIONS: list[tuple[str, frozenset[str]]] = [
    (q, frozenset(cards.split()))
    for q, cards in [
        # API design
        ("How should I name the URLs for orders and their line items?", "resource-naming"),
        ("Should collection endpoints use plural nouns or verbs like /getUsers?", "resource-naming"),
        ("Our list endpoint with page=5000 is slow and skips rows when new data arrives. What instead?", "pagination"),
        ("Cursor or offset pagination for an infinite-scroll feed?", "pagination"),
        ("How do we version our public REST API without breaking existing clients?", "versioning"),
        ("A client retried a POST after a timeout and the customer was charged twice. How do we stop that?", "idempotency-keys"),
        ("What format should our API error responses use?", "problem-details"),
        ("Is there a standard JSON body for HTTP errors instead of inventing our own?", "problem-details"),
        ("How do I limit each API key to 100 requests per minute, and what should the client see when over it?", "rate-limiting"),
        ("Token bucket or sliding window for throttling?", "rate-limiting"),
        ("We send webhooks to customers. How do they verify a webhook came from us, and what if their endpoint is down?", "webhooks"),
        ("A report export takes ten minutes. How should the API handle a request that long?", "long-running-operations"),
        ("Our GraphQL query for authors and their books makes hundreds of SQL queries.", "graphql-dataloader"),
        ("How should deadlines propagate between our gRPC services?", "grpc-deadlines"),
        ("How do we scale WebSocket connections across several servers and authenticate them?", "realtime-connections"),
        ("Server-sent events or WebSockets for a live dashboard?", "realtime-connections"),
        ("Which API style should we pick: REST, GraphQL or gRPC?", "api-style"),
        ("Should we write the OpenAPI spec first or generate it from code?", "api-contract"),
        # data
        ("Which database for an orders service with complex relations?", "database-choice"),
        ("We store sensor readings every second from 10k devices. What kind of database fits?", "database-choice"),
        ("This query does a sequential scan on a 50 million row table. How do I find out why and fix it?", "indexes-query-plans"),
        ("How do I rename a column in Postgres without downtime?", "zero-downtime-migrations"),
        ("What is the expand and contract pattern for schema changes?", "zero-downtime-migrations"),
        ("Which transaction isolation level should we use, and what anomalies does read committed allow?", "transaction-isolation"),
        ("Two users booked the same hotel room at the same moment. How do we prevent double booking?", "double-booking"),
        ("How can we save an order and publish an OrderCreated event without losing one of them?", "transactional-outbox"),
        ("How do we keep data consistent across three microservices without a distributed transaction?", "sagas"),
        ("How should we use Redis as a cache in front of Postgres?", "cache-aside"),
        ("Write-through or write-behind caching for user profiles?", "write-through-caching"),
        ("When a popular cache key expires, thousands of requests hit the database at once.", "cache-stampede"),
        ("How do we invalidate cached data when the underlying record changes?", "cache-invalidation"),
        ("Should we use RabbitMQ or Kafka for order events?", "queues-vs-streams"),
        ("Our consumer sometimes processes the same message twice. How should it cope?", "delivery-semantics"),
        ("Where should messages go when they keep failing?", "delivery-semantics"),
        ("Reads are overloading our primary database; should we add read replicas?", "read-replicas"),
        ("How often should we back up the database and how do we know restores work?", "backups"),
        # security
        ("Which algorithm should we use to hash user passwords?", "password-hashing"),
        ("Is bcrypt still ok or should we move to argon2?", "password-hashing"),
        ("JWT or opaque tokens, and how do we revoke a JWT before it expires?", "jwt-vs-opaque"),
        ("Which OAuth2 flow should a single-page app use to log users in?", "oauth2-oidc"),
        ("Role-based or attribute-based access control for a multi-tenant SaaS?", "rbac-abac"),
        ("How should our internal services authenticate to each other?", "service-auth"),
        ("Where do we keep database passwords and API secrets instead of the repo?", "secrets-management"),
        ("How should the server validate incoming JSON request bodies?", "input-validation"),
        ("The browser blocks calls from our frontend domain to the API with a CORS error.", "cors"),
        ("Which security headers should every HTTP response carry?", "security-headers"),
        ("What should go in an audit log and how do we keep it tamper-evident?", "audit-logging"),
        ("Users give us a URL and our server fetches it. What can go wrong?", "ssrf"),
        ("How do we stop SQL injection in queries built from user input?", "injection"),
        ("How should users sign in to our web app: sessions, tokens or API keys?", "auth-method"),
        ("How do we encrypt personal data at rest and in transit?", "encryption"),
        ("We use cookies for login. How do we protect against CSRF?", "csrf-cookies"),
        # reliability
        ("What timeouts should we set on outgoing HTTP calls?", "timeouts"),
        ("How should a client retry failed requests without making an outage worse?", "retries-backoff"),
        ("When the payment provider is down, every request waits 30 seconds. How do we fail fast?", "circuit-breaker"),
        ("One slow dependency uses up all our worker threads and takes the whole service down.", "bulkheads"),
        ("What is the difference between liveness and readiness probes in Kubernetes?", "health-checks"),
        ("How should the service shut down on SIGTERM during a deploy without dropping requests?", "graceful-shutdown"),
        ("What does 99.9% availability allow in downtime, and how do error budgets work?", "slo-error-budget"),
        ("What metrics, logs and traces should a new service emit?", "observability"),
        # performance
        ("How do we keep the p95 latency of an endpoint under 200 ms?", "latency-budget"),
        ("The API got slow after the last release. How do I find where the time goes?", "profiling"),
        ("How big should the database connection pool be?", "connection-pools"),
        ("The ORM runs one query per row when listing orders with their customers.", "n-plus-one"),
        ("When does async I/O help a Python backend, and when does it hurt?", "async-io"),
        # questions that need two cards
        ("A payment API must not charge twice when clients retry after timeouts with backoff.", "idempotency-keys retries-backoff"),
        ("How do we publish events reliably from a saga step?", "transactional-outbox sagas"),
    ]
]

OFF_TOPIC: list[str] = [
    "What's for lunch?",
    "How long should I boil an egg?",
    "Who won the football match last night?",
    "Write me a poem about the sea.",
    "What is the capital of Australia?",
    "Can you recommend a good novel for the holidays?",
    "How do I change a flat tyre on my bike?",
    "What time is the meeting tomorrow?",
    "Tips for growing tomatoes on a balcony?",
    "How many moons does Jupiter have?",
    "Translate good morning into Spanish.",
    "Which running shoes are best for beginners?",
    "How do I knit a scarf?",
    "What should I pack for a week in Lisbon?",
    "Is it going to rain this weekend?",
]
