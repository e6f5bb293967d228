package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.DiskGroup;
import io.evasan.raid.DriveSpec;
import io.evasan.raid.GroupSpec;
import io.evasan.raid.Pool;
import io.evasan.raid.PoolSpec;
import io.evasan.raid.RaidStats;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.DriveState;
import io.evasan.raid.drive.QuorumArea;
import io.evasan.raid.drive.Drive;
import io.evasan.raid.drive.impl.FileDrive;
import io.evasan.raid.PoolIo;
import io.evasan.raid.io.AtomicFiles;
import io.evasan.raid.rss.Rss;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A pool in a data directory. {@code <dir>/pool.list} records where the drives are (pool
 * UUID, groups, and per drive: group, index, drive UUID, RSS, slot, path), like an mdadm.conf;
 * the labels on the drives are authoritative: {@link #open} identifies drives by their labels
 * and rewrites a damaged or disagreeing pool.list from them.
 *
 * <p>Invariant: every drive opened as a member carries a label naming this pool's UUID.
 */
public final class PoolImpl implements Pool {
    public static final String LIST_FILE = "pool.list";
    /** Present only while the pool is closed cleanly; missing at open = unclean shutdown. */
    public static final String CLEAN_FILE = "pool.clean";

    private final UUID id;
    private final Path dir;
    /** Copy-on-write: readers (API, quorum areas) may list groups while one is created. */
    private final List<DiskGroupImpl> groups = new java.util.concurrent.CopyOnWriteArrayList<>();
    private MeterRegistry registry;
    private final List<String> problems = new ArrayList<>();
    private final List<String> repairs = new ArrayList<>();
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(PoolImpl.class.getName());
    private volatile boolean closed;
    private boolean uncleanOpen;
    private PoolIo io = PoolIo.DEFAULT;

    private PoolImpl(UUID id, Path dir) {
        this.id = id;
        this.dir = dir;
    }

    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve(LIST_FILE));
    }

    /** Checks a new drive: size, foreign label. Returns its capacity in bytes. Changes nothing. */
    static long validateNewDrive(Path path, long sizeBytes, UUID poolId) {
        long existing = -1;
        if (Files.exists(path)) {
            existing = FileDrive.sizeOf(path);
            DriveLabel l = existing >= DriveLabelDescriptor.LABEL_BYTES ? FileDrive.readLabel(path) : null;
            if (l != null && !l.isRemoved()) {
                if (poolId != null && l.poolId().equals(poolId)) {
                    throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + path + " (" + l.driveId()
                            + ") is already a member of this pool");
                }
                throw new StorageException(ErrorCode.FOREIGN_POOL, "drive " + path + " carries a label of pool "
                        + l.poolId() + " (drive " + l.driveId() + "); refusing to overwrite it");
            }
        } else if (sizeBytes == 0) {
            throw new StorageException(ErrorCode.DRIVE_MISSING, "drive " + path + " does not exist and no size was given");
        }
        long size = Math.max(existing, sizeBytes);
        if (size < DriveLabelDescriptor.minimumDriveBytes()) {
            throw new StorageException(ErrorCode.DRIVE_TOO_SMALL, "drive " + path + " has " + size + " bytes; a drive needs"
                    + " at least " + DriveLabelDescriptor.minimumDriveBytes() + " (label + "
                    + DriveLabelDescriptor.QUORUM_BYTES + " quorum + PSEG table + one 2 MiB PSEG)");
        }
        return size;
    }

    private static String key(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    public static PoolImpl create(Path dir, PoolSpec spec, MeterRegistry registry) {
        return create(dir, spec, registry, PoolIo.DEFAULT);
    }

    public static PoolImpl create(Path dir, PoolSpec spec, MeterRegistry registry, PoolIo io) {
        if (exists(dir)) {
            throw new StorageException(ErrorCode.ALREADY_EXISTS, "directory " + dir + " already holds a pool");
        }
        // validate everything before touching anything
        Set<String> names = new HashSet<>();
        Set<String> paths = new HashSet<>();
        List<Path> existing = new ArrayList<>();
        List<long[]> sizes = new ArrayList<>();
        for (GroupSpec g : spec.groups()) {
            if (!names.add(g.name())) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "disk group name " + g.name() + " used twice");
            }
            if (g.drives().size() < Rss.MIN_DRIVES) {
                throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "disk group " + g.name() + " has "
                        + g.drives().size() + " drives; at least " + Rss.MIN_DRIVES + " are needed for an RSS");
            }
            long[] sz = new long[g.drives().size()];
            for (int i = 0; i < sz.length; i++) {
                Path p = dir.resolve(g.drives().get(i).path());
                if (!paths.add(key(p))) {
                    throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + p + " is listed twice");
                }
                if (Files.exists(p)) {
                    for (Path o : existing) {
                        try {
                            if (Files.isSameFile(o, p)) {
                                throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drives " + o + " and " + p
                                        + " are the same file");
                            }
                        } catch (IOException e) {
                            // cannot compare: the path check above stands
                        }
                    }
                    existing.add(p);
                }
                sz[i] = validateNewDrive(p, g.drives().get(i).sizeBytes(), null);
            }
            sizes.add(sz);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot create " + dir + ": " + e.getMessage(), e);
        }
        PoolImpl pool = new PoolImpl(UUID.randomUUID(), dir);
        pool.io = io;
        pool.registry = registry;
        try {
            for (int gi = 0; gi < spec.groups().size(); gi++) {
                GroupSpec g = spec.groups().get(gi);
                pool.groups.add(pool.formatGroup(gi, g, sizes.get(gi)));
            }
            pool.writeList();
            return pool;
        } catch (IOException e) {
            pool.close();
            throw new StorageException(ErrorCode.IO_ERROR, "creating pool in " + dir + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /** One {@code drive} line of pool.list; a field that did not parse is null. */
    private record ListDrive(int line, String text, Integer group, Integer index, UUID driveId, Integer rss,
                             Integer slot, Path path) {
    }

    /** A drive file whose label names a pool. */
    private record Found(Path path, DriveLabel label) {
    }

    private static String where(Path list, int line) {
        return list + ":" + line;
    }

    private static Integer intOrNull(String[] f, int i) {
        try {
            return i < f.length ? Integer.valueOf(f[i]) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static UUID uuidOrNull(String[] f, int i) {
        try {
            // UUID.fromString accepts short groups ("1-2-3-4-5"); pool.list always holds the canonical 36 characters
            return i < f.length && f[i].length() == 36 ? UUID.fromString(f[i]) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Opens the pool in {@code dir}. The drive labels are the authority: pool.list is a hint of
     * where the drives are. Every drive file it names, and every file in the directories holding
     * them (and {@code <dir>/drives}), is identified by its label (pool UUID, group, member index,
     * drive UUID); a label of this pool whose group pool.list names is a member wherever it is. A
     * damaged or disagreeing pool.list line is reported as {@code pool.list:LINE: what, the fix}
     * and, after a successful open, pool.list is rewritten from the labels (the old file kept as
     * {@code pool.list.bad}). Only what the labels cannot answer is an error, and it names the
     * file, the line, the text and what to do.
     */
    public static PoolImpl open(Path dir, MeterRegistry registry) {
        return open(dir, registry, PoolIo.DEFAULT);
    }

    public static PoolImpl open(Path dir, MeterRegistry registry, PoolIo io) {
        Path list = dir.resolve(LIST_FILE);
        if (!Files.exists(list)) {
            throw new StorageException(ErrorCode.NOT_FOUND, "directory " + dir + " holds no pool (" + LIST_FILE + " missing)");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read " + list + ": " + e.getMessage(), e);
        }
        List<String> hints = new ArrayList<>();   // pool.list disagreements the labels settle
        UUID listPoolId = null;
        int poolLine = 0;
        String poolText = null;
        TreeMap<Integer, String> groupNames = new TreeMap<>();
        List<ListDrive> listed = new ArrayList<>();
        for (int n = 1; n <= lines.size(); n++) {
            String line = lines.get(n - 1);
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split(" ", 7);
            switch (f[0]) {
                case "pool" -> {
                    poolLine = n;
                    poolText = line;
                    listPoolId = uuidOrNull(f, 1);
                    if (listPoolId == null || f.length != 2) {
                        hints.add(where(list, n) + ": bad pool line \"" + line + "\" (expected \"pool <uuid>\");"
                                + " the pool UUID is taken from the drive labels");
                    }
                }
                case "group" -> {
                    String[] g = t.split(" ", 3);
                    Integer gi = intOrNull(g, 1);
                    if (gi == null || g.length < 3 || gi < 0) {
                        hints.add(where(list, n) + ": bad group line \"" + line + "\" (expected \"group <id> <name>\");"
                                + " the group is taken from its drives' labels");
                    } else {
                        groupNames.put(gi, g[2]);
                    }
                }
                case "drive" -> {
                    ListDrive d = new ListDrive(n, line, intOrNull(f, 1), intOrNull(f, 2), uuidOrNull(f, 3),
                            intOrNull(f, 4), intOrNull(f, 5), f.length == 7 ? Path.of(f[6]) : null);
                    if (f.length != 7 || d.group() == null || d.index() == null || d.driveId() == null || d.rss() == null
                            || d.slot() == null) {
                        hints.add(where(list, n) + ": bad drive line \"" + line + "\" (expected \"drive <group> <index>"
                                + " <drive uuid> <rss> <slot> <path>\"); the drive is identified by its label");
                    }
                    listed.add(d);
                }
                default -> hints.add(where(list, n) + ": unknown line \"" + line + "\" (expected pool, group or drive);"
                        + " ignored");
            }
        }
        // identify every candidate drive file by its label
        java.util.LinkedHashSet<Path> candidates = new java.util.LinkedHashSet<>();
        java.util.LinkedHashSet<Path> scanDirs = new java.util.LinkedHashSet<>();
        Set<String> listedPaths = new HashSet<>();
        for (ListDrive d : listed) {
            if (d.path() != null) {
                Path p = dir.resolve(d.path());
                candidates.add(p);
                listedPaths.add(key(p));
                if (p.toAbsolutePath().getParent() != null) {
                    scanDirs.add(p.toAbsolutePath().getParent());
                }
            }
        }
        scanDirs.add(dir.resolve("drives").toAbsolutePath());
        for (Path sd : scanDirs) {
            if (!Files.isDirectory(sd) || sd.normalize().equals(Path.of("/dev"))) {
                continue;
            }
            try (var st = Files.list(sd)) {
                st.filter(Files::isRegularFile).sorted().forEach(candidates::add);
            } catch (IOException e) {
                hints.add("cannot list " + sd + " while looking for drives: " + e.getMessage());
            }
        }
        List<Found> found = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Path p : candidates) {
            if (!seen.add(key(p)) || !Files.exists(p)) {
                continue;
            }
            try {
                if (FileDrive.sizeOf(p) < DriveLabelDescriptor.COPY_B_OFFSET + DriveLabelDescriptor.LABEL_BYTES) {
                    continue;
                }
                DriveLabel l = FileDrive.readLabel(p);
                if (l != null && !l.isRemoved()) {
                    found.add(new Found(p, l));
                }
            } catch (StorageException e) {
                // unreadable: a listed drive stays as the list says (FAILED/MISSING below)
            }
        }
        // the pool UUID: the list's when some label carries it, else the one the labels at the listed paths agree on
        UUID poolId = listPoolId;
        UUID finalList = listPoolId;
        boolean listIdOnLabels = listPoolId != null && found.stream().anyMatch(x -> x.label().poolId().equals(finalList));
        if (!listIdOnLabels) {
            Set<UUID> atListed = new java.util.TreeSet<>();
            for (Found x : found) {
                if (listedPaths.contains(key(x.path()))) {
                    atListed.add(x.label().poolId());
                }
            }
            if (atListed.size() == 1) {
                poolId = atListed.iterator().next();
                if (listPoolId != null) {
                    hints.add(where(list, poolLine) + ": pool line \"" + poolText + "\" names pool " + listPoolId
                            + " but the labels of the listed drives name pool " + poolId + "; the labels win");
                }
            } else if (atListed.size() > 1) {
                throw new StorageException(ErrorCode.CORRUPT_METADATA, list + (poolLine > 0 ? ":" + poolLine : "")
                        + ": the pool UUID " + (listPoolId == null ? "is unreadable" : listPoolId + " is on no drive label")
                        + " and the listed drives carry labels of " + atListed.size() + " different pools " + atListed
                        + "; nothing was changed. Fix: put the right UUID on the line \"pool <uuid>\" (each drive's"
                        + " label names its pool) and move the drives of the other pools out of the pool directory");
            } else if (listPoolId == null) {
                Set<UUID> elsewhere = new java.util.TreeSet<>();
                for (Found x : found) {
                    elsewhere.add(x.label().poolId());
                }
                String hint = elsewhere.size() == 1
                        ? " The drives in " + scanDirs + " carry labels of pool " + elsewhere.iterator().next()
                        + ": if they are this pool's, replace " + list + " by the single line \"pool "
                        + elsewhere.iterator().next() + "\" and start again (the drive lines are rebuilt from the labels)."
                        : "";
                throw new StorageException(ErrorCode.CORRUPT_METADATA, list + (poolLine > 0 ? ":" + poolLine
                        + ": bad pool line \"" + poolText + "\"" : ": no \"pool <uuid>\" line")
                        + " and no drive with a readable label at the " + listedPaths.size() + " listed paths to take"
                        + " the pool UUID from; nothing was changed. Fix: restore pool.list from a backup, or write the"
                        + " line \"pool <uuid>\" by hand and check that the drive files listed there exist." + hint);
            }
        }
        // committed groups: named by pool.list (a group line, or a drive line), or holding a drive at a listed path
        TreeMap<Integer, String> groups = new TreeMap<>(groupNames);
        for (ListDrive d : listed) {
            if (d.group() != null && d.group() >= 0 && !groups.containsKey(d.group())) {
                groups.put(d.group(), null);
            }
        }
        boolean listNamesNoGroup = groups.isEmpty();
        for (Found x : found) {
            if (x.label().poolId().equals(poolId) && (listNamesNoGroup || listedPaths.contains(key(x.path())))) {
                // a list that names no group at all (only "pool <uuid>" left) is rebuilt from every label found
                groups.putIfAbsent(x.label().groupId(), null);
            }
        }
        // members from labels: a drive at a listed path first, then one found elsewhere for a free (group, index)
        TreeMap<Integer, TreeMap<Integer, Found>> members = new TreeMap<>();
        List<Found> ordered = new ArrayList<>();
        for (Found x : found) {
            if (listedPaths.contains(key(x.path()))) {
                ordered.add(x);
            }
        }
        for (Found x : found) {
            if (!listedPaths.contains(key(x.path()))) {
                ordered.add(x);
            }
        }
        for (Found x : ordered) {
            DriveLabel l = x.label();
            if (!l.poolId().equals(poolId) || !groups.containsKey(l.groupId())) {
                continue; // another pool's drive, or a group whose creation never committed
            }
            TreeMap<Integer, Found> g = members.computeIfAbsent(l.groupId(), k -> new TreeMap<>());
            Found had = g.get(l.memberIndex());
            if (had == null) {
                g.put(l.memberIndex(), x);
                if (!listedPaths.contains(key(x.path()))) {
                    hints.add("drive " + l.driveId() + " (group " + l.groupId() + " index " + l.memberIndex()
                            + ") found by its label at " + x.path() + ", a path " + LIST_FILE + " does not list");
                }
            } else {
                hints.add("drive file " + x.path() + " carries the label of group " + l.groupId() + " index "
                        + l.memberIndex() + " (drive " + l.driveId() + "), already taken by " + had.path()
                        + " (drive " + had.label().driveId() + "); ignored. Fix: move the stale file out of "
                        + x.path().toAbsolutePath().getParent());
            }
        }
        // compare the list with the labels; the list's entries for drives no label was found for stay (missing)
        TreeMap<Integer, TreeMap<Integer, ListDrive>> missing = new TreeMap<>();
        for (ListDrive d : listed) {
            boolean parsed = d.group() != null && d.index() != null && d.driveId() != null && d.rss() != null
                    && d.slot() != null && d.path() != null;
            Found atPath = null;
            if (d.path() != null) {
                for (Found x : found) {
                    if (key(x.path()).equals(key(dir.resolve(d.path()))) && x.label().poolId().equals(poolId)) {
                        atPath = x;
                    }
                }
            }
            if (atPath != null && parsed) {
                DriveLabel l = atPath.label();
                List<String> diff = new ArrayList<>();
                if (d.group() != l.groupId()) {
                    diff.add("group " + d.group() + " (label: " + l.groupId() + ")");
                }
                if (d.index() != l.memberIndex()) {
                    diff.add("index " + d.index() + " (label: " + l.memberIndex() + ")");
                }
                if (!d.driveId().equals(l.driveId())) {
                    diff.add("drive UUID " + d.driveId() + " (label: " + l.driveId() + ")");
                }
                if (!diff.isEmpty()) {
                    hints.add(where(list, d.line()) + ": line \"" + d.text() + "\" says " + String.join(", ", diff)
                            + " for " + atPath.path() + "; the drive's label wins");
                }
            }
            if (!parsed) {
                boolean taken = d.group() != null && d.index() != null
                        && members.getOrDefault(d.group(), new TreeMap<>()).containsKey(d.index());
                if (atPath == null && !taken) {
                    throw new StorageException(ErrorCode.CORRUPT_METADATA, where(list, d.line()) + ": bad drive line \""
                            + d.text() + "\", and no drive label says which drive it was"
                            + (d.path() == null ? "" : " (" + dir.resolve(d.path()) + " carries no label of pool " + poolId + ")")
                            + "; nothing was changed. Fix: restore the line as \"drive <group> <index> <drive uuid> <rss>"
                            + " <slot> <path>\" from a backup or from the drive's old values, or delete the line if that"
                            + " drive is gone for good (its group then runs without it)");
                }
                continue;
            }
            boolean present = members.getOrDefault(d.group(), new TreeMap<>()).containsKey(d.index());
            for (TreeMap<Integer, Found> g : members.values()) {
                for (Found x : g.values()) {
                    present |= x.label().driveId().equals(d.driveId());
                }
            }
            if (!present) {
                missing.computeIfAbsent(d.group(), k -> new TreeMap<>()).put(d.index(), d);
            }
        }
        boolean clean;
        try {
            clean = Files.deleteIfExists(dir.resolve(CLEAN_FILE));
            syncDir(dir);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot update " + dir.resolve(CLEAN_FILE) + ": " + e.getMessage(), e);
        }
        PoolImpl pool = new PoolImpl(poolId, dir);
        pool.io = io;
        pool.registry = registry;
        pool.uncleanOpen = !clean;
        try {
            for (var ge : groups.entrySet()) {
                int gi = ge.getKey();
                TreeMap<Integer, Found> dl = members.getOrDefault(gi, new TreeMap<>());
                TreeMap<Integer, ListDrive> ml = missing.getOrDefault(gi, new TreeMap<>());
                String gname = ge.getValue();
                String labelName = dl.isEmpty() ? null : dl.firstEntry().getValue().label().groupName();
                if (labelName != null && !labelName.isEmpty() && !labelName.equals(gname)) {
                    if (gname != null) {
                        hints.add(LIST_FILE + " names group " + gi + " \"" + gname + "\" but its drives' labels say \""
                                + labelName + "\"; the labels win");
                    }
                    gname = labelName;
                }
                if (gname == null) {
                    gname = "group" + gi;
                }
                if (dl.isEmpty() && ml.isEmpty()) {
                    continue;
                }
                int max = Math.max(dl.isEmpty() ? 0 : dl.lastKey() + 1, ml.isEmpty() ? 0 : ml.lastKey() + 1);
                Drive[] ds = new Drive[max];
                RaidStats stats = new RaidStats(registry, gname);
                for (var de : dl.entrySet()) {
                    int idx = de.getKey();
                    Found x = de.getValue();
                    Drive d = io.drives().open(x.path(), idx, x.label(), (dr, c) -> stats.driveError());
                    if (d.isAvailable()) {
                        try {
                            String fixed = d.repairLabelCopies();
                            if (fixed != null) {
                                String msg = "group " + gname + " drive " + idx + " (" + x.path() + "): " + fixed;
                                LOG.warning(msg);
                                pool.repairs.add(msg);
                            }
                        } catch (StorageException e) {
                            LOG.warning("group " + gname + " drive " + idx + " (" + x.path() + "): label copies could not"
                                    + " be repaired: " + e.getMessage());
                        }
                    } else {
                        pool.problems.add("group " + gname + " drive " + idx + ": " + x.path() + " is " + d.state());
                    }
                    ds[idx] = d;
                }
                for (var me : ml.entrySet()) {
                    int idx = me.getKey();
                    ListDrive f = me.getValue();
                    Path p = dir.resolve(f.path());
                    DriveLabel expected = new DriveLabel(0, poolId, f.driveId(), gi, gname, idx, f.rss(), f.slot(), 0, 0, 0);
                    String why = !Files.exists(p) ? "is MISSING" : "carries no label of drive " + f.driveId()
                            + " (no file with that label found either); treated as missing";
                    pool.problems.add("group " + gname + " drive " + idx + ": " + p + " " + why);
                    ds[idx] = io.drives().missing(p, idx, expected, (dr, c) -> stats.driveError());
                }
                pool.groups.add(new DiskGroupImpl(poolId, gi, gname, ds, pool.owner(), stats));
            }
        } catch (RuntimeException e) {
            for (DiskGroupImpl g : pool.groups) {
                g.close();
            }
            throw e;
        }
        if (!hints.isEmpty()) {
            try {
                Files.copy(list, dir.resolve(LIST_FILE + ".bad"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                LOG.warning("cannot keep a copy of the damaged " + list + ": " + e.getMessage());
            }
            pool.writeList();
            for (String h : hints) {
                String msg = h + " [" + LIST_FILE + " rewritten from the drive labels; the old file is "
                        + LIST_FILE + ".bad]";
                LOG.warning(msg);
                pool.repairs.add(msg);
            }
        }
        if (!clean) {
            // a write in flight at the crash may have reached only some members: make them agree
            for (DiskGroupImpl g : pool.groups) {
                g.resync();
            }
        }
        return pool;
    }

    /** What opening repaired (pool.list lines settled by the labels, label copies rewritten), one line each. */
    public List<String> repairs() {
        return List.copyOf(repairs);
    }

    /**
     * Formats the drives of group {@code g} (sizes already validated) as group {@code gi} and builds it.
     * RSS formation: order drives by capacity so RAID1 pairs (slots 2k, 2k+1) match, then cut into
     * ceil(n / 12) RSSs of near-equal size (each >= 6). On failure the drives formatted so far are closed.
     */
    private DiskGroupImpl formatGroup(int gi, GroupSpec g, long[] sz) throws IOException {
        int n = sz.length;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingLong((Integer i) -> sz[i]).thenComparingInt(i -> i));
        int k = (n + Rss.MAX_DRIVES - 1) / Rss.MAX_DRIVES;
        int[] rssOf = new int[n];
        int[] slotOf = new int[n];
        int pos = 0;
        for (int r = 0; r < k; r++) {
            int size = n / k + (r < n % k ? 1 : 0);
            for (int s = 0; s < size; s++) {
                rssOf[order.get(pos)] = r;
                slotOf[order.get(pos)] = s;
                pos++;
            }
        }
        Drive[] ds = new Drive[n];
        RaidStats stats = new RaidStats(registry, g.name());
        try {
            for (int i = 0; i < n; i++) {
                DriveSpec d = g.drives().get(i);
                Path p = dir.resolve(d.path());
                Files.createDirectories(p.toAbsolutePath().getParent());
                DriveLabel l = new DriveLabel(1, id, UUID.randomUUID(), gi, g.name(), i, rssOf[i], slotOf[i], sz[i],
                        DriveLabelDescriptor.psegCount(sz[i]), 0);
                ds[i] = io.drives().format(p, i, d.sizeBytes(), l, (dr, c) -> stats.driveError());
            }
        } catch (IOException | RuntimeException e) {
            for (Drive d : ds) {
                if (d != null) {
                    d.close();
                }
            }
            throw e;
        }
        return new DiskGroupImpl(id, gi, g.name(), ds, owner(), stats);
    }

    @Override
    public synchronized DiskGroup createDiskGroup(GroupSpec g) {
        if (closed) {
            throw new StorageException(ErrorCode.INVALID_STATE, "pool " + id + " is closed");
        }
        int gi = 0;
        Set<java.util.UUID> members = new HashSet<>();
        for (DiskGroupImpl e : groups) {
            if (e.name().equals(g.name())) {
                throw new StorageException(ErrorCode.ALREADY_EXISTS, "disk group " + g.name() + " already exists");
            }
            gi = Math.max(gi, e.id() + 1);
            for (Drive d : e.driveArray()) {
                if (d != null && d.label() != null) {
                    members.add(d.label().driveId());
                }
            }
        }
        if (g.drives().size() < Rss.MIN_DRIVES) {
            throw new StorageException(ErrorCode.INSUFFICIENT_DRIVES, "disk group " + g.name() + " has "
                    + g.drives().size() + " drives; at least " + Rss.MIN_DRIVES + " are needed for an RSS");
        }
        Set<String> paths = new HashSet<>();
        long[] sz = new long[g.drives().size()];
        DiskGroupImpl.Owner owner = owner();
        for (int i = 0; i < sz.length; i++) {
            DriveSpec d = g.drives().get(i);
            Path p = dir.resolve(d.path());
            if (!paths.add(key(p))) {
                throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + p + " is listed twice");
            }
            owner.checkNewDrive(p);
            sz[i] = validateGroupDrive(p, d.sizeBytes(), members);
        }
        DiskGroupImpl created;
        try {
            created = formatGroup(gi, g, sz);
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "creating disk group " + g.name() + " failed: " + e.getMessage(), e);
        }
        groups.add(created);
        try {
            writeList();   // the commit: until pool.list names the group, no open sees it
        } catch (RuntimeException e) {
            groups.remove(created);
            created.close();
            throw e;
        }
        return created;
    }

    /**
     * {@link #validateNewDrive} for a drive of a new group, except that a file labelled for this pool
     * whose drive id no group names is accepted: it is left over from a {@code createDiskGroup} that a
     * crash interrupted before its commit, and is formatted again.
     */
    private long validateGroupDrive(Path path, long sizeBytes, Set<UUID> members) {
        if (Files.exists(path) && FileDrive.sizeOf(path) >= DriveLabelDescriptor.LABEL_BYTES) {
            DriveLabel l = FileDrive.readLabel(path);
            if (l != null && !l.isRemoved() && l.poolId().equals(id) && !members.contains(l.driveId())) {
                long size = Math.max(FileDrive.sizeOf(path), sizeBytes);
                if (size < DriveLabelDescriptor.minimumDriveBytes()) {
                    throw new StorageException(ErrorCode.DRIVE_TOO_SMALL, "drive " + path + " has " + size + " bytes");
                }
                return size;
            }
        }
        return validateNewDrive(path, sizeBytes, id);
    }

    private DiskGroupImpl.Owner owner() {
        return new DiskGroupImpl.Owner() {
            @Override
            public void membershipChanged() {
                writeList();
            }

            @Override
            public Path resolve(Path p) {
                return dir.resolve(p);
            }

            @Override
            public PoolIo io() {
                return io;
            }

            @Override
            public void checkNewDrive(Path resolved) {
                for (DiskGroupImpl g : groups) {
                    for (Drive d : g.driveArray()) {
                        if (d == null || d.state() == DriveState.REMOVED) {
                            continue;
                        }
                        boolean same = key(d.path()).equals(key(resolved));
                        try {
                            same |= Files.exists(resolved) && Files.exists(d.path()) && Files.isSameFile(d.path(), resolved);
                        } catch (IOException e) {
                            // path comparison stands
                        }
                        if (same) {
                            throw new StorageException(ErrorCode.DUPLICATE_DRIVE, "drive " + resolved
                                    + " is already drive " + d.index() + " of disk group " + g.name());
                        }
                    }
                }
            }
        };
    }

    private synchronized void writeList() {
        StringBuilder b = new StringBuilder();
        b.append("# evasan pool: where the drives are. The drive labels are authoritative.\n");
        b.append("# drive <group> <index> <drive uuid> <rss> <slot> <path>\n");
        b.append("pool ").append(id).append('\n');
        for (DiskGroupImpl g : groups) {
            b.append("group ").append(g.id()).append(' ').append(g.name()).append('\n');
        }
        for (DiskGroupImpl g : groups) {
            for (Drive d : g.driveArray()) {
                if (d == null || d.state() == DriveState.REMOVED || d.label() == null) {
                    continue;
                }
                int[] rs = g.rssOf(d.index());
                // drives inside the pool directory are recorded relative to it, so the directory can move
                Path abs = d.path().toAbsolutePath().normalize();
                Path base = dir.toAbsolutePath().normalize();
                Path shown = abs.startsWith(base) ? base.relativize(abs) : abs;
                b.append("drive ").append(g.id()).append(' ').append(d.index()).append(' ').append(d.label().driveId())
                        .append(' ').append(rs[0]).append(' ').append(rs[1]).append(' ')
                        .append(shown).append('\n');
            }
        }
        try {
            AtomicFiles.replace(io.files(), dir.resolve(LIST_FILE), b.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write " + dir.resolve(LIST_FILE) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public UUID id() {
        return id;
    }

    @Override
    public List<DiskGroupImpl> diskGroups() {
        return List.copyOf(groups);
    }

    @Override
    public DiskGroup diskGroup(int groupId) {
        for (DiskGroupImpl g : groups) {
            if (g.id() == groupId) {
                return g;
            }
        }
        throw new StorageException(ErrorCode.NOT_FOUND, "pool " + id + " has no disk group " + groupId);
    }

    @Override
    public List<QuorumArea> quorumAreas() {
        List<QuorumArea> out = new ArrayList<>();
        for (DiskGroupImpl g : groups) {
            for (Drive d : g.driveArray()) {
                if (d != null && d.isAvailable()) {
                    out.add(d.quorumArea());
                }
            }
        }
        return out;
    }

    @Override
    public Path directory() {
        return dir;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append("pool ").append(id).append(" in ").append(dir.toAbsolutePath()).append('\n');
        for (DiskGroupImpl g : groups) {
            b.append(g.describe());
        }
        for (String p : problems) {
            b.append("problem: ").append(p).append('\n');
        }
        for (String r : repairs) {
            b.append("repaired at open: ").append(r).append('\n');
        }
        return b.toString();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        boolean clean = true;
        for (DiskGroupImpl g : groups) {
            try {
                g.flush();
            } catch (StorageException e) {
                clean = false;
            }
        }
        for (DiskGroupImpl g : groups) {
            g.close();
            clean &= !g.resyncPending();
        }
        if (clean) {
            try {
                Files.write(dir.resolve(CLEAN_FILE), new byte[0]);
                syncDir(dir);
            } catch (IOException e) {
                // next open resyncs: safe
            }
        }
    }

    /** True if this open found no clean-shutdown marker (a resync was started). */
    public boolean wasUnclean() {
        return uncleanOpen;
    }

    private static void syncDir(Path dir) {
        try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // directories cannot be opened for sync on every platform; the marker is advisory
        }
    }
}
