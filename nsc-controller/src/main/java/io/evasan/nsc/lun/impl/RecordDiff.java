package io.evasan.nsc.lun.impl;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What changed between two versions of a list of immutable records keyed uniquely. A table change
 * keeps the records it does not touch (the same objects, in the same order), so only the span
 * between the longest common prefix and suffix (compared by identity) is compared by key: a create,
 * delete or presentation change costs O(1) hashing, not O(table). Stateless.
 */
final class RecordDiff {
    private RecordDiff() {
    }

    /**
     * Calls {@code put(old, record)} for every record of {@code next} whose key is new ({@code old} null)
     * or whose record differs from {@code before}'s, then {@code remove(old)} for every record of
     * {@code before} whose key is gone from {@code next}.
     */
    static <K, T> void diff(List<T> before, List<T> next, Function<T, K> keyOf, BiConsumer<T, T> put,
                            Consumer<T> remove) {
        if (before == next) {
            return;
        }
        int beforeEnd = before.size();
        int nextEnd = next.size();
        while (beforeEnd > 0 && nextEnd > 0 && before.get(beforeEnd - 1) == next.get(nextEnd - 1)) {
            beforeEnd--;
            nextEnd--;
        }
        int start = 0;
        while (start < beforeEnd && start < nextEnd && before.get(start) == next.get(start)) {
            start++;
        }
        Map<K, T> old = new HashMap<>();
        for (int i = start; i < beforeEnd; i++) {
            old.put(keyOf.apply(before.get(i)), before.get(i));
        }
        for (int i = start; i < nextEnd; i++) {
            T t = next.get(i);
            T was = old.remove(keyOf.apply(t));
            if (!t.equals(was)) {
                put.accept(was, t);
            }
        }
        for (T t : old.values()) {
            remove.accept(t);
        }
    }
}
