package io.evasan.raid.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.raid.drive.DriveLabel;
import io.evasan.raid.drive.DriveLabelDescriptor;
import io.evasan.raid.drive.impl.FileDrive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Finds a pool's drives when it opens: parses {@code pool.list} (a hint of where the drives are), reads the
 * label of every listed drive file and of every file in the directories holding them (and
 * {@code <dir>/drives}), and settles from the labels the pool UUID, the committed groups, each group's
 * member drives and the listed drives that are missing. Every disagreement of the list with the labels
 * becomes a hint line ({@code pool.list:LINE: what, the fix}).
 *
 * <p><b>Invariant</b>: the labels are the authority and nothing is changed on disk: a drive is a member
 * only if its label names the pool UUID found and a group pool.list knows; each (group, index) has at most
 * one member (a drive at a listed path first). Only what no label can answer is an error
 * ({@code CORRUPT_METADATA}, naming the file, line, text and the fix).
 */
final class PoolDiscovery {
    private PoolDiscovery() {
    }

    /** What the labels settled: the groups (id to name, null = name from the labels), members and missing drives. */
    record Result(Path list, UUID poolId, TreeMap<Integer, String> groups, TreeMap<Integer, TreeMap<Integer, Found>> members,
                  TreeMap<Integer, TreeMap<Integer, ListDrive>> missing, List<String> hints) {
    }

    /** One {@code drive} line of pool.list; a field that did not parse is null. */
    record ListDrive(int line, String text, Integer group, Integer index, UUID driveId, Integer rss,
                             Integer slot, Path path) {
    }

    /** A drive file whose label names a pool. */
    record Found(Path path, DriveLabel label) {
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

    static Result discover(Path dir) {
        Path list = dir.resolve(PoolImpl.LIST_FILE);
        if (!Files.exists(list)) {
            throw new StorageException(ErrorCode.NOT_FOUND, "directory " + dir + " holds no pool (" + PoolImpl.LIST_FILE + " missing)");
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
                listedPaths.add(PoolImpl.key(p));
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
            if (!seen.add(PoolImpl.key(p)) || !Files.exists(p)) {
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
                if (listedPaths.contains(PoolImpl.key(x.path()))) {
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
            if (x.label().poolId().equals(poolId) && (listNamesNoGroup || listedPaths.contains(PoolImpl.key(x.path())))) {
                // a list that names no group at all (only "pool <uuid>" left) is rebuilt from every label found
                groups.putIfAbsent(x.label().groupId(), null);
            }
        }
        // members from labels: a drive at a listed path first, then one found elsewhere for a free (group, index)
        TreeMap<Integer, TreeMap<Integer, Found>> members = new TreeMap<>();
        List<Found> ordered = new ArrayList<>();
        for (Found x : found) {
            if (listedPaths.contains(PoolImpl.key(x.path()))) {
                ordered.add(x);
            }
        }
        for (Found x : found) {
            if (!listedPaths.contains(PoolImpl.key(x.path()))) {
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
                if (!listedPaths.contains(PoolImpl.key(x.path()))) {
                    hints.add("drive " + l.driveId() + " (group " + l.groupId() + " index " + l.memberIndex()
                            + ") found by its label at " + x.path() + ", a path " + PoolImpl.LIST_FILE + " does not list");
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
                    if (PoolImpl.key(x.path()).equals(PoolImpl.key(dir.resolve(d.path()))) && x.label().poolId().equals(poolId)) {
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
        return new Result(list, poolId, groups, members, missing, hints);
    }
}
