"""Layer live: the center's provision service as a running system (issue 31): the identity store in a real
database (`store`), the length-prefixed application protocol (`frames`, `messages`), mutual TLS 1.3 (`tls`),
the hash-chained access log written as it serves (`ledger`), the desk that decides and answers (`desk`),
the asyncio server (`server`), and the open-loop load generator with its statistics (`loadgen`, `stats`).

Imports: core, data, law, world, config, sim (the residents and the log's hash chain).
"""
