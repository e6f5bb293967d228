package io.evasan.raid.powercut;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What a sector-addressed store may hold after a power cut: every sector holds the version it had
 * at the last acknowledged force, or one of the versions written to it since (an unforced write
 * may or may not have reached the medium), never anything else. Versions are write ids; sector
 * contents are a function of (write id, sector), zeros for write id 0.
 */
public final class SectorModel {
    public static final int SECTOR = 512;
    private final long[] durable;
    private final Map<Integer, List<Long>> since = new HashMap<>();
    private final long[] latest;
    private long nextId = 1;

    public SectorModel(long bytes) {
        durable = new long[(int) (bytes / SECTOR)];
        latest = new long[durable.length];
    }

    public static void fill(long writeId, long sector, byte[] into, int at) {
        if (writeId == 0) {
            java.util.Arrays.fill(into, at, at + SECTOR, (byte) 0);
            return;
        }
        byte[] s = new byte[SECTOR];
        new Random(writeId * 1_000_003L + sector).nextBytes(s);
        System.arraycopy(s, 0, into, at, SECTOR);
    }

    /** A new write of {@code sectors} sectors at sector {@code first}: returns its data. */
    public ByteBuffer write(long first, int sectors) {
        long id = nextId++;
        byte[] b = new byte[sectors * SECTOR];
        for (int i = 0; i < sectors; i++) {
            fill(id, first + i, b, i * SECTOR);
            since.computeIfAbsent((int) (first + i), k -> new ArrayList<>()).add(id);
            latest[(int) (first + i)] = id;
        }
        return ByteBuffer.wrap(b);
    }

    /** The write returned and nothing is forced yet: call after the write if the store is forced later. */
    public void forced() {
        System.arraycopy(latest, 0, durable, 0, latest.length);
        since.clear();
    }

    /** Expected contents without a cut (latest writes). */
    public byte[] latestImage() {
        return image(latest);
    }

    /** The latest write id of every sector (a point-in-time view, e.g. what a snapshot taken now must hold). */
    public long[] latestVersions() {
        return latest.clone();
    }

    /** The contents of a store whose sectors hold {@code versions} (write ids, as {@link #latestVersions}). */
    public static byte[] image(long[] versions) {
        byte[] b = new byte[versions.length * SECTOR];
        for (int s = 0; s < versions.length; s++) {
            fill(versions[s], s, b, s * SECTOR);
        }
        return b;
    }

    /**
     * Checks {@code got} (the whole store); returns null if every sector holds an allowed version,
     * else a description of the first wrong sector.
     */
    public String check(byte[] got) {
        byte[] exp = new byte[SECTOR];
        int bad = 0;
        String first = null;
        for (int s = 0; s < durable.length; s++) {
            fill(durable[s], s, exp, 0);
            if (java.util.Arrays.equals(got, s * SECTOR, (s + 1) * SECTOR, exp, 0, SECTOR)) {
                continue;
            }
            boolean ok = false;
            for (long id : since.getOrDefault(s, List.of())) {
                fill(id, s, exp, 0);
                if (java.util.Arrays.equals(got, s * SECTOR, (s + 1) * SECTOR, exp, 0, SECTOR)) {
                    ok = true;
                    break;
                }
            }
            if (!ok) {
                bad++;
                if (first == null) {
                    first = "sector " + s + " (byte " + (long) s * SECTOR + ") holds neither its forced version (write "
                            + durable[s] + ") nor one written since " + since.getOrDefault(s, List.of());
                }
            }
        }
        return first == null ? null : bad + " wrong sectors; first: " + first;
    }
}
