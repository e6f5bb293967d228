package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The performance and capacity history of the management appliance, kept in two Chronicle Map files under its
 * state directory: {@value #SERIES_FILE} (series name → id, plus a format entry) and {@value #POINTS_FILE} (ring
 * slots: key = series id, resolution and slot; value a {@link PerfPointDescriptor} point). Each resolution is a
 * ring of {@link Resolution#slots()} slots: the point of the interval starting at {@code t} lives in slot
 * {@code (t / step) mod slots} until a point {@code slots} steps later overwrites it.
 *
 * <p>Invariants: a slot is read back only when the start stamped in its point is the start the slot stands for
 * in the asked range, and that start lies within the resolution's retention before {@code now} — so a point older
 * than the retention is never answered, whether or not its slot was overwritten yet. The file
 * {@value #CLEAN_MARKER} exists only between a {@link #close()} and the next open: opening files without it (the
 * previous process died, a {@code kill -9} may have left a segment lock held) recovers them with
 * {@code recoverPersistedTo} before use ({@link #recovered()}).
 */
public final class PerfHistory implements AutoCloseable {
    static final String SERIES_FILE = "perf-series.cm";
    static final String POINTS_FILE = "perf-points.cm";
    static final String CLEAN_MARKER = "perf.clean";
    private static final String FORMAT_KEY = "#format";
    private static final String NEXT_KEY = "#next";
    /** Version of this class's key scheme and files (the Chronicle Map header does not check value types). */
    static final long FORMAT = 0x4556_5048_0001L;

    /** The two resolutions kept: 10 s points for 24 h and 5 min points for 30 days (8640 slots each). */
    public enum Resolution {
        TEN_SECONDS("10s", 10_000L, 24L * 3600_000L),
        FIVE_MINUTES("5m", 300_000L, 30L * 24 * 3600_000L);

        private final String label;
        private final long stepMillis;
        private final long retentionMillis;

        Resolution(String label, long stepMillis, long retentionMillis) {
            this.label = label;
            this.stepMillis = stepMillis;
            this.retentionMillis = retentionMillis;
        }

        public String label() { return label; }
        public long stepMillis() { return stepMillis; }
        public long retentionMillis() { return retentionMillis; }
        public int slots() { return (int) (retentionMillis / stepMillis); }

        /** The start of the interval holding {@code t}. */
        public long floor(long t) {
            return Math.floorDiv(t, stepMillis) * stepMillis;
        }

        /** The resolution labelled {@code label} ("10s" or "5m"), or null. */
        public static Resolution of(String label) {
            for (Resolution r : values()) {
                if (r.label.equals(label)) {
                    return r;
                }
            }
            return null;
        }
    }

    private static final int SLOTS = Resolution.TEN_SECONDS.slots();

    private final Path dir;
    private final int maxSeries;
    private final ChronicleMap<CharSequence, Long> series;
    private final ChronicleMap<Long, byte[]> points;
    private final boolean recovered;

    private PerfHistory(Path dir, int maxSeries, ChronicleMap<CharSequence, Long> series,
                        ChronicleMap<Long, byte[]> points, boolean recovered) {
        this.dir = dir;
        this.maxSeries = maxSeries;
        this.series = series;
        this.points = points;
        this.recovered = recovered;
    }

    /**
     * Opens (creates, or reopens; recovers when the clean-shutdown marker is missing) the history in {@code dir},
     * sized for {@code maxSeries} series (fixed when the files are created).
     *
     * @throws StorageException IO_ERROR when the files cannot be opened, CORRUPT_METADATA when they hold another format
     */
    public static PerfHistory open(Path dir, int maxSeries) {
        checkMax(maxSeries);
        try {
            Files.createDirectories(dir);
            ownerOnly(dir, "rwx------");
            Path marker = dir.resolve(CLEAN_MARKER);
            boolean exists = nonEmpty(dir.resolve(SERIES_FILE)) || nonEmpty(dir.resolve(POINTS_FILE));
            boolean recover = exists && !Files.exists(marker);
            for (String f : new String[] {SERIES_FILE, POINTS_FILE}) {
                if (!Files.exists(dir.resolve(f))) { // created owner-only before Chronicle Map fills it
                    Files.createFile(dir.resolve(f));
                    ownerOnly(dir.resolve(f), "rw-------");
                }
            }
            ChronicleMap<CharSequence, Long> s = open(seriesBuilder(maxSeries), dir.resolve(SERIES_FILE), recover);
            ChronicleMap<Long, byte[]> p;
            try {
                p = open(pointsBuilder(maxSeries), dir.resolve(POINTS_FILE), recover);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
            ownerOnly(dir.resolve(SERIES_FILE), "rw-------");
            ownerOnly(dir.resolve(POINTS_FILE), "rw-------");
            PerfHistory h = new PerfHistory(dir, maxSeries, s, p, recover);
            try {
                h.checkFormat();
            } catch (RuntimeException e) {
                h.closeMaps();
                throw e;
            }
            Files.deleteIfExists(marker); // open from here on: a crash leaves no marker
            return h;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open the performance history in " + dir + ": " + e);
        }
    }

    private static boolean nonEmpty(Path p) throws IOException {
        return Files.exists(p) && Files.size(p) > 0;
    }

    /** Restricts {@code p} to its owner (the history lives in the appliance's private data directory). */
    private static void ownerOnly(Path p, String mode) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
        }
    }

    /** A history held in memory only (no state directory configured): lost when closed. */
    public static PerfHistory inMemory(int maxSeries) {
        checkMax(maxSeries);
        PerfHistory h = new PerfHistory(null, maxSeries, seriesBuilder(maxSeries).create(),
                pointsBuilder(maxSeries).create(), false);
        h.checkFormat();
        return h;
    }

    private static void checkMax(int maxSeries) {
        if (maxSeries < 1 || maxSeries > 100_000) {
            throw new IllegalArgumentException("maxSeries " + maxSeries + " outside 1..100000");
        }
    }

    private static <K, V> ChronicleMap<K, V> open(ChronicleMapBuilder<K, V> b, Path file, boolean recover)
            throws IOException {
        return recover ? b.recoverPersistedTo(file.toFile(), true) : b.createPersistedTo(file.toFile());
    }

    private static ChronicleMapBuilder<CharSequence, Long> seriesBuilder(int maxSeries) {
        return ChronicleMapBuilder.of(CharSequence.class, Long.class).name("evasan-perf-series")
                .averageKey("controller/nsc0-some-lun-name").entries(maxSeries + 2L);
    }

    private static ChronicleMapBuilder<Long, byte[]> pointsBuilder(int maxSeries) {
        return ChronicleMapBuilder.of(Long.class, byte[].class).name("evasan-perf-points")
                .constantValueSizeBySample(new byte[PerfPointDescriptor.SIZE])
                .entries((long) maxSeries * Resolution.values().length * SLOTS);
    }

    private void checkFormat() {
        Long f = series.putIfAbsent(FORMAT_KEY, FORMAT);
        if (f != null && f != FORMAT) {
            throw new StorageException(ErrorCode.CORRUPT_METADATA, "performance history in " + dir
                    + " has format " + Long.toHexString(f) + ", this appliance reads " + Long.toHexString(FORMAT));
        }
    }

    /** True when the open found no clean-shutdown marker and recovered the files. */
    public boolean recovered() {
        return recovered;
    }

    /** The series with history, by name (sorted). */
    public List<String> seriesNames() {
        List<String> out = new ArrayList<>();
        for (CharSequence k : series.keySet()) {
            String s = k.toString();
            if (!s.startsWith("#")) {
                out.add(s);
            }
        }
        out.sort(null);
        return out;
    }

    /** True when {@code name} has a series (points may all have aged out). */
    public boolean knows(String name) {
        return series.containsKey(name);
    }

    private long id(String name, boolean create) {
        Long id = series.get(name);
        if (id != null || !create) {
            return id == null ? -1 : id;
        }
        synchronized (this) {
            id = series.get(name);
            if (id != null) {
                return id;
            }
            long next = series.getOrDefault(NEXT_KEY, 0L);
            if (next >= maxSeries) {
                return -1;
            }
            series.put(name, next);
            series.put(NEXT_KEY, next + 1);
            return next;
        }
    }

    private static long key(long id, Resolution r, long start) {
        return (id * Resolution.values().length + r.ordinal()) * SLOTS + Math.floorMod(start / r.stepMillis(), SLOTS);
    }

    /**
     * Stores {@code p} as the point of its interval (its start must be aligned to the resolution's step).
     *
     * @return false when the history is full ({@code maxSeries} series exist and {@code name} is not one)
     */
    public boolean putIo(String name, Resolution r, PerfPoint p) {
        return put(name, r, p.startMillis(), PerfPointDescriptor.encode(p));
    }

    /**
     * Adds {@code p} into the point of the interval of {@code r} that holds {@code p}'s start (a fresh point when the
     * slot holds an older interval): how 10 s points are downsampled into 5 min points as they are written.
     *
     * @return false when the history is full
     */
    public synchronized boolean addIo(String name, Resolution r, PerfPoint p) {
        long start = r.floor(p.startMillis());
        long id = id(name, true);
        if (id < 0) {
            return false;
        }
        long k = key(id, r, start);
        byte[] old = points.get(k);
        PerfPoint sum = p.plus(PerfPoint.empty(start), start);
        if (old != null && PerfPointDescriptor.kind(old) == PerfPointDescriptor.KIND_IO) {
            PerfPoint o = PerfPointDescriptor.decodeIo(old);
            if (o.startMillis() == start) {
                sum = o.plus(p, start);
            }
        }
        points.put(k, PerfPointDescriptor.encode(sum));
        return true;
    }

    /** Stores a disk group's capacity point (start aligned to the resolution's step). @return false when full */
    public boolean putCapacity(String name, Resolution r, CapacityPoint p) {
        return put(name, r, p.startMillis(), PerfPointDescriptor.encode(p));
    }

    private boolean put(String name, Resolution r, long start, byte[] value) {
        if (r.floor(start) != start) {
            throw new IllegalArgumentException("point start " + start + " is not aligned to " + r.label());
        }
        long id = id(name, true);
        if (id < 0) {
            return false;
        }
        points.put(key(id, r, start), value);
        return true;
    }

    /** The I/O points of {@code name} at {@code r} starting in [from, to), oldest first, within retention of {@code now}. */
    public List<PerfPoint> io(String name, Resolution r, long from, long to, long now) {
        return read(name, r, from, to, now, PerfPointDescriptor.KIND_IO, PerfPointDescriptor::decodeIo);
    }

    /** The capacity points of {@code name} at {@code r} starting in [from, to), oldest first, within retention. */
    public List<CapacityPoint> capacity(String name, Resolution r, long from, long to, long now) {
        return read(name, r, from, to, now, PerfPointDescriptor.KIND_CAPACITY, PerfPointDescriptor::decodeCapacity);
    }

    private <T> List<T> read(String name, Resolution r, long from, long to, long now, int kind,
                             Function<byte[], T> decode) {
        List<T> out = new ArrayList<>();
        long id = id(name, false);
        if (id < 0) {
            return out;
        }
        long oldest = now - r.retentionMillis();
        long first = Math.max(r.floor(from), r.floor(oldest) + r.stepMillis());
        if (first < from) {
            first += r.stepMillis();
        }
        for (long t = first; t < to && t <= now; t += r.stepMillis()) {
            byte[] v = points.get(key(id, r, t));
            if (v == null || PerfPointDescriptor.kind(v) != kind
                    || java.nio.ByteBuffer.wrap(v).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(8) != t) {
                continue;
            }
            out.add(decode.apply(v));
        }
        return out;
    }

    /** Closes the files and leaves the clean-shutdown marker (idempotent). */
    @Override
    public synchronized void close() {
        if (points.isClosed()) {
            return;
        }
        closeMaps();
        if (dir != null) {
            try {
                Files.write(dir.resolve(CLEAN_MARKER), new byte[0]);
                ownerOnly(dir.resolve(CLEAN_MARKER), "rw-------");
            } catch (IOException e) {
                System.err.println("evasan mgmt: cannot write " + dir.resolve(CLEAN_MARKER) + ": " + e
                        + " (the next start recovers the history files)");
            }
        }
    }

    private void closeMaps() {
        points.close();
        series.close();
    }
}
