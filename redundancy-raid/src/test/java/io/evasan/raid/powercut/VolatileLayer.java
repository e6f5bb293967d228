package io.evasan.raid.powercut;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The volatile write cache of a simulated device: writes since the last {@link #force} live here
 * (reads see them); {@link #force} writes them through; {@link #cut} decides, per unforced write
 * and in a random order (reordering), whether it is dropped, applied or torn at a 512-byte
 * boundary. A sector never goes back to an older version than one already applied (a device does
 * not reorder writes to the same sector). Not thread-safe: the owning {@link PowerCut} serialises.
 */
final class VolatileLayer {
    static final int SECTOR = 512;

    /** Where durable data lives. */
    interface Backing {
        void read(long pos, ByteBuffer dst);

        void write(long pos, ByteBuffer src);

        void force();
    }

    private record Pending(long seq, long pos, byte[] data) {
    }

    private final Backing backing;
    private final List<Pending> pending = new ArrayList<>();
    private long seq;

    VolatileLayer(Backing backing) {
        this.backing = backing;
    }

    int pendingWrites() {
        return pending.size();
    }

    long pendingEnd() {
        long end = 0;
        for (Pending p : pending) {
            end = Math.max(end, p.pos + p.data.length);
        }
        return end;
    }

    void write(long pos, ByteBuffer src) {
        byte[] b = new byte[src.remaining()];
        src.get(b);
        pending.add(new Pending(seq++, pos, b));
    }

    void read(long pos, ByteBuffer dst) {
        int start = dst.position();
        int len = dst.remaining();
        backing.read(pos, dst);
        for (Pending p : pending) {
            long from = Math.max(pos, p.pos);
            long to = Math.min(pos + len, p.pos + p.data.length);
            if (from < to) {
                dst.put(start + (int) (from - pos), p.data, (int) (from - p.pos), (int) (to - from));
            }
        }
    }

    /** Drops pending bytes at or beyond {@code size} (a truncate). */
    void truncate(long size) {
        List<Pending> kept = new ArrayList<>();
        for (Pending p : pending) {
            if (p.pos >= size) {
                continue;
            }
            if (p.pos + p.data.length > size) {
                byte[] b = new byte[(int) (size - p.pos)];
                System.arraycopy(p.data, 0, b, 0, b.length);
                kept.add(new Pending(p.seq, p.pos, b));
            } else {
                kept.add(p);
            }
        }
        pending.clear();
        pending.addAll(kept);
    }

    void force() {
        for (Pending p : pending) {
            backing.write(p.pos, ByteBuffer.wrap(p.data));
        }
        pending.clear();
        backing.force();
    }

    /** Simulated power cut; returns a one-line summary of what happened to the unforced writes. */
    String cut(Random rnd) {
        return cut(rnd, null);
    }

    /** As {@link #cut(Random)}, every unforced write meeting {@code outcome} when it is not null. */
    String cut(Random rnd, PowerCut.Outcome outcome) {
        List<Pending> order = new ArrayList<>(pending);
        Collections.shuffle(order, rnd);
        Map<Long, Long> applied = new HashMap<>(); // sector -> seq of the write that set it
        int dropped = 0;
        int whole = 0;
        int torn = 0;
        for (Pending p : order) {
            long end = p.pos + p.data.length;
            long firstSector = p.pos / SECTOR;
            long lastSector = (end - 1) / SECTOR;
            int choice = outcome == null ? rnd.nextInt(3) : outcome == PowerCut.Outcome.DROP ? 0
                    : outcome == PowerCut.Outcome.APPLY ? 1 : 2;
            long keepFrom = p.pos;
            long keepTo = end;
            if (choice == 0 || p.data.length == 0) {
                dropped++;
                continue;
            }
            if (choice == 2 && lastSector > firstSector) {
                // a sector boundary inside the write: the head or the tail reached the medium
                long boundary = (firstSector + 1 + rnd.nextInt((int) Math.min(Integer.MAX_VALUE, lastSector - firstSector))) * SECTOR;
                boolean head = outcome == PowerCut.Outcome.TEAR_KEEP_HEAD
                        || (outcome != PowerCut.Outcome.TEAR_KEEP_TAIL && rnd.nextBoolean());
                if (head) {
                    keepTo = boundary;
                } else {
                    keepFrom = boundary;
                }
                torn++;
            } else {
                whole++;
            }
            for (long s = keepFrom / SECTOR; s * SECTOR < keepTo; s++) {
                long from = Math.max(keepFrom, s * SECTOR);
                long to = Math.min(keepTo, (s + 1) * SECTOR);
                Long was = applied.get(s);
                if (was != null && was > p.seq) {
                    continue;
                }
                applied.put(s, p.seq);
                backing.write(from, ByteBuffer.wrap(p.data, (int) (from - p.pos), (int) (to - from)));
            }
        }
        pending.clear();
        backing.force();
        return order.size() + " unforced writes: " + dropped + " dropped, " + whole + " applied, " + torn + " torn";
    }
}
