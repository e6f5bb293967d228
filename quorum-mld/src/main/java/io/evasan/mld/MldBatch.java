package io.evasan.mld;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A set of record puts and removes applied atomically by {@link Mld#commit}. Later calls on the
 * same (kind, key) replace earlier ones. Values are copied on put.
 */
public final class MldBatch {
    /** One pending change; {@code value == null} means remove. */
    public record Change(String kind, String key, byte[] value) {
    }

    private final Map<String, Change> changes = new LinkedHashMap<>();

    public MldBatch put(String kind, String key, byte[] value) {
        check(kind, key);
        if (value == null) {
            throw new IllegalArgumentException("value is null; use remove");
        }
        changes.put(kind + '\u0000' + key, new Change(kind, key, value.clone()));
        return this;
    }

    public MldBatch remove(String kind, String key) {
        check(kind, key);
        changes.put(kind + '\u0000' + key, new Change(kind, key, null));
        return this;
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public Iterable<Change> changes() {
        return changes.values();
    }

    private static void check(String kind, String key) {
        if (kind == null || key == null || kind.isEmpty()) {
            throw new IllegalArgumentException("kind and key must be non-null, kind non-empty");
        }
        if (kind.indexOf('\u0000') >= 0 || key.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException("NUL in kind or key");
        }
    }
}
