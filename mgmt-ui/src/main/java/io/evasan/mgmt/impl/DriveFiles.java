package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The file-system side of drives the API creates (sparse files under the pool directory): checked before
 * anything is written, and undone when creating them fails.
 *
 * <p>Invariants: {@link #checkFits} writes nothing that outlives it (its probe file is deleted in every case);
 * {@link Undo#rollback} removes exactly the files and directories that did not exist when the {@link Undo} was
 * taken, so a failed create leaves the pool directory as it found it and never touches an existing file.
 */
final class DriveFiles {
    private DriveFiles() {
    }

    /**
     * Checks that the file system holding {@code dir} (created later if missing; its nearest existing ancestor is
     * probed) can hold drive files of {@code sizes}: the largest must not exceed the file system's maximum file
     * size (probed: a sparse file extended to that length, then deleted), and together they must fit the space
     * usable now — a sparse drive the file system cannot fill would fail its writes later, as a drive it is not.
     *
     * @throws ApiError 400 {@code field} over the maximum file size; 507 {@code field} (SPACE_ALLOCATION_FAILED)
     *         over the usable space; 500 when the directory cannot be probed at all
     */
    static void checkFits(Path dir, long[] sizes, String field) {
        Path probeDir = dir.toAbsolutePath();
        while (probeDir != null && !Files.isDirectory(probeDir)) {
            probeDir = probeDir.getParent();
        }
        if (probeDir == null) {
            throw new ApiError(500, "no existing directory above " + dir, null);
        }
        long largest = 0;
        long total = 0;
        for (long s : sizes) {
            largest = Math.max(largest, s);
            total = Math.addExact(total, s);
        }
        Path probe = null;
        try {
            probe = Files.createTempFile(probeDir, ".evasan-size-probe-", ".tmp");
            try (RandomAccessFile f = new RandomAccessFile(probe.toFile(), "rw")) {
                f.setLength(largest);   // sparse: no blocks allocated; EFBIG over the maximum file size
            } catch (IOException e) {
                throw ApiError.badRequest(field, "field '" + field + "': a drive file of " + largest + " bytes exceeds what"
                        + " the file system under " + probeDir + " can hold (" + e.getMessage() + ")");
            }
        } catch (IOException e) {
            throw new ApiError(500, "cannot probe the file system under " + probeDir + ": " + e.getMessage(), null);
        } finally {
            if (probe != null) {
                try {
                    Files.deleteIfExists(probe);
                } catch (IOException e) {
                    System.err.println("evasan mgmt: cannot delete size probe " + probe + ": " + e);
                }
            }
        }
        long usable;
        try {
            usable = Files.getFileStore(probeDir).getUsableSpace();
        } catch (IOException e) {
            throw new ApiError(500, "cannot read the free space under " + probeDir + ": " + e.getMessage(), null);
        }
        if (total > usable) {
            throw new ApiError(507, "field '" + field + "': the new drive files total " + total + " bytes but the file"
                    + " system under " + probeDir + " has " + usable + " bytes usable", field,
                    ErrorCode.SPACE_ALLOCATION_FAILED.name(), null);
        }
    }

    /** Remembers which of {@code files} and their directories up to {@code root} exist now. */
    static Undo track(Path root, List<Path> files) {
        List<Path> newFiles = new ArrayList<>();
        Set<Path> newDirs = new LinkedHashSet<>();
        Path top = root.toAbsolutePath().normalize();
        for (Path f : files) {
            Path a = f.toAbsolutePath().normalize();
            if (!Files.exists(a)) {
                newFiles.add(a);
            }
            for (Path d = a.getParent(); d != null && d.startsWith(top) && !d.equals(top); d = d.getParent()) {
                if (!Files.exists(d)) {
                    newDirs.add(d);
                }
            }
        }
        return new Undo(newFiles, newDirs);
    }

    /** What a create may add: files and directories absent when tracked. */
    static final class Undo {
        private final List<Path> files;
        private final Set<Path> dirs;

        private Undo(List<Path> files, Set<Path> dirs) {
            this.files = files;
            this.dirs = dirs;
        }

        /** Deletes the tracked files, then the tracked directories deepest first (only when empty). Never throws. */
        void rollback() {
            for (Path f : files) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    System.err.println("evasan mgmt: cannot remove " + f + " after a failed create: " + e);
                }
            }
            List<Path> ds = new ArrayList<>(dirs);
            ds.sort((a, b) -> Integer.compare(b.getNameCount(), a.getNameCount()));
            for (Path d : ds) {
                try {
                    Files.deleteIfExists(d);
                } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                    // something else lives there: keep it
                } catch (IOException e) {
                    System.err.println("evasan mgmt: cannot remove " + d + " after a failed create: " + e);
                }
            }
        }
    }
}
