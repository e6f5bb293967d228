package io.evasan.nsc.cache.impl;

import io.evasan.nsc.cache.CachedItem;
import io.evasan.nsc.marker.SnapshotMarker;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The snapshot markers pending in a {@link WriteBackCache} (seeds 000–002), oldest first (moved out
 * of {@code WriteBackCache}).
 *
 * <p>Invariants (every method is called under the cache lock; the class holds no lock of its own):
 * <ul>
 * <li>A marker's {@code remaining} is the number of cached writes on its LUNs with a lower sequence
 *     number that are not yet destaged: set at {@link #add}, decremented by {@link #entryDone}.</li>
 * <li>{@link #blocks} is true for a write younger than a pending marker on its LUN: such a write is
 *     not dispatched, so nothing inserted after a marker reaches the backend before its snapshot.</li>
 * <li>Only the oldest marker fires ({@link #readyToFire}: {@code remaining == 0}, not yet firing),
 *     one at a time; {@link #removeFired} takes it off once its snapshot was taken.</li>
 * </ul>
 */
final class MarkerTracker {
    /** One pending marker: its ticket, its log record address and the older writes it waits for. */
    static final class MarkerState {
        final SnapshotMarker ticket;
        final long addr;
        int remaining;
        boolean firing;

        MarkerState(SnapshotMarker ticket, long addr) {
            this.ticket = ticket;
            this.addr = addr;
        }
    }

    private final ArrayDeque<MarkerState> markers = new ArrayDeque<>();

    /** Appends a marker that waits for {@code olderOnItsLuns} cached writes. */
    void add(SnapshotMarker ticket, long addr, int olderOnItsLuns) {
        MarkerState ms = new MarkerState(ticket, addr);
        ms.remaining = olderOnItsLuns;
        markers.addLast(ms);
    }

    boolean isEmpty() {
        return markers.isEmpty();
    }

    /** True if a write with sequence number {@code seq} on {@code lun} is behind a pending marker on that LUN. */
    boolean blocks(long seq, int lun) {
        if (markers.isEmpty()) {
            return false;
        }
        for (MarkerState m : markers) {
            if (m.ticket.seq() > seq) {
                return false;
            }
            if (m.ticket.request().covers(lun)) {
                return true;
            }
        }
        return false;
    }

    /** The oldest marker if it may fire now (marked firing), else null. */
    MarkerState readyToFire() {
        MarkerState h = markers.peekFirst();
        if (h != null && !h.firing && h.remaining == 0) {
            h.firing = true;
            return h;
        }
        return null;
    }

    /** A write (seq, lun) left the cache: the younger markers on its LUN wait for one write less. */
    void entryDone(long seq, int lun) {
        for (MarkerState m : markers) {
            if (m.ticket.seq() > seq && m.ticket.request().covers(lun)) {
                m.remaining--;
            }
        }
    }

    /** Removes the fired marker {@code m}, which must be the oldest. */
    void removeFired(MarkerState m) {
        MarkerState head = markers.pollFirst();
        if (head != m) {
            throw new IllegalStateException("fired marker is not the oldest");
        }
    }

    /** True while a pending marker (fired or not) names {@code lun}. */
    boolean covers(int lun) {
        for (MarkerState m : markers) {
            if (m.ticket.request().covers(lun)) {
                return true;
            }
        }
        return false;
    }

    /** Sequence number of the oldest pending marker, or {@code Long.MAX_VALUE}. */
    long oldestSeq() {
        MarkerState m = markers.peekFirst();
        return m == null ? Long.MAX_VALUE : m.ticket.seq();
    }

    /** Adds the pending markers to {@code out} (diagnostics). */
    void addTo(List<CachedItem> out) {
        for (MarkerState m : markers) {
            out.add(new CachedItem(true, m.ticket.seq(), -1, -1, 0, 0, m.ticket.request()));
        }
    }
}
