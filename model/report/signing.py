"""Signing a run (`jukinet run --sign KEYS`): every record table read back once, batch by batch, for its block
leaves, field digests and the disclosure index, and the heads the center and the 47 witnesses sign
(model.audit.trust); with what signing costs, for the estimate printed before a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

# What `--sign` adds, measured by signing a run folder at scale 0.1 (14.7 M events) after the run with this
# signed_heads (as `bench/audit_bench.py --run DIR --sign KEYS` does), while a full-scale run shared the machine:
# 212 s, 2.01 GB peak (the simulation is freed before signing, so a run needs the larger of the two); the folder
# grew from 1.41 GB of records by 1.44 GB of field digests and 0.51 GB of disclosure index.  The full scale's
# figures are in docs/auditor.md ("Signing at national scale").
SIGN_BYTES_PER_EVENT = 140
SIGN_SECONDS_PER_EVENT = 14.5e-6
SIGN_DISK_FACTOR = 2.5  # the full-scale run signed by the bench: 13.2 GB of records, 14.2 GB of digests, 5.1 GB of index
SIGN_BATCH = 1 << 17  # rows per batch signing reads


def signed_heads(checkpoints: Any, summary: dict[str, Any], records: Path, keys: dict[str, Any]) -> dict[str, Any]:
    """The log's day heads and the final statement over every record table as written, signed by the center
    and countersigned by the 47 prefectures (model.audit.trust); with each table's block hashes, which the
    signed roots bind, so the audit can name the block that changed.  Each table is read once, batch by
    batch: its block leaves, its field digests (digests/, model.audit.rowdigest) and, from the provisions and
    the resident codes, the disclosure index (index/, model.audit.index)."""
    from jukinet.model.audit.index import IndexBuilder
    from jukinet.model.audit.merkle import as_array, root_of
    from jukinet.model.audit.rowdigest import DigestWriter
    from jukinet.model.audit.trust import block_leaves, outputs_of, sign, statements

    index = IndexBuilder()
    tables, blocks = {}, {}
    for path in sorted(records.glob("*.parquet")):
        f = pq.ParquetFile(path, page_checksum_verification=True, pre_buffer=False)
        name, schema = path.stem, f.schema_arrow
        digests = DigestWriter(records.parent, name, f.metadata.num_rows, len(schema))

        def batches(f: pq.ParquetFile = f, name: str = name, digests: DigestWriter = digests) -> Any:
            for batch in f.iter_batches(batch_size=SIGN_BATCH):
                digests.add(batch)
                if name == "provisions":
                    index.provisions(batch)
                elif name == "residents":  # each code's leaf binds the row that holds it (the identity disclosed)
                    index.residents(batch)
                elif name == "code_changes":  # each leaf binds the codes its holder had (model/audit/history.py)
                    index.changed(
                        batch.column("old").to_numpy(zero_copy_only=False), batch.column("new").to_numpy(zero_copy_only=False)
                    )
                yield batch

        leaves = list(block_leaves(batches(), schema))
        blocks[name] = [h.hex() for h in leaves]
        tables[name] = {"rows": f.metadata.num_rows, "root": root_of(as_array(leaves)).hex()}
        tables[name].update(digests=digests.close(), fields=schema.names)
        pa.default_memory_pool().release_unused()  # what reading the table held, back to the system
    run_id = {k: summary[k] for k in ("scenario", "seed", "scale", "scenario_hash")}
    size_root = index.finish(records.parent / "index")
    stmts = statements(run_id, checkpoints, tables, summary["config_sha256"], size_root, summary.get("timeline_sha256"))
    stmts[-1]["outputs"] = outputs_of(records.parent)
    return {"signed": sign(stmts, keys), "blocks": blocks}
