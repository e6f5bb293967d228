package io.evasan.nsc.lun;

import java.util.Objects;

/**
 * A snapshot (or snapclone) taken through a cache marker: sharing-tree disk {@code disk} holding
 * LUN {@code lunId} as it was when marker request {@code requestId} left the cache.
 * Invariant: at most one record per (requestId, lunId) — that is what makes marker replay after a
 * crash idempotent; names are unique among snapshot records.
 */
public record SnapshotRecord(String name, int lunId, long disk, long requestId, boolean snapclone, long createdMillis) {
    public SnapshotRecord {
        Objects.requireNonNull(name, "name");
    }
}
