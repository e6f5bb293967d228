package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.api.Records;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the management layer keeps its small named records (hosts, schedules): in the MLD under one
 * kind, key = the record's name; without an MLD, one file {@code <dir>/<name>.bin} per record. The
 * bytes are stored exactly as given (the caller's {@code *Descriptor} owns the layout and its CRC).
 *
 * <p>Invariants: a {@link #put} has returned only once the record is durable — committed to the MLD, or
 * written to {@code <name>.tmp}, forced to disk and atomically renamed to {@code <name>.bin} (so a crash
 * leaves the old record or the new one, never a torn one); {@link #remove} likewise commits or deletes
 * before returning. Failures are {@link StorageException}s naming the record ("cannot store host h1: …").
 */
final class RecordStore {
    private final Records mld;
    private final Path dir;
    private final String kind;
    private final String what;

    /**
     * @param mld  the cell's records (the MLD), or null to use {@code dir}
     * @param dir  the folder of {@code .bin} files when {@code mld} is null; may be null (then nothing
     *             loads and {@link #put} refuses)
     * @param kind the MLD kind
     * @param what the record's noun in error messages ("host", "schedule")
     */
    RecordStore(Records mld, Path dir, String kind, String what) {
        this.mld = mld;
        this.dir = dir;
        this.kind = kind;
        this.what = what;
    }

    /**
     * Every stored record, undecoded.
     *
     * @throws StorageException IO_ERROR when the folder cannot be read
     */
    List<byte[]> loadAll() {
        List<byte[]> records = new ArrayList<>();
        if (mld != null) {
            for (String k : mld.keys(kind)) {
                mld.get(kind, k).ifPresent(records::add);
            }
        } else if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s.filter(p -> p.getFileName().toString().endsWith(".bin"))::iterator) {
                    records.add(Files.readAllBytes(p));
                }
            } catch (IOException e) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot read " + dir + ": " + e.getMessage(), e);
            }
        }
        return records;
    }

    /**
     * Stores (or replaces) the record {@code name}, durably.
     *
     * @throws StorageException INVALID_STATE with neither MLD nor folder, IO_ERROR
     */
    void put(String name, byte[] record) {
        if (mld != null) {
            mld.put(kind, name, record);
            return;
        }
        if (dir == null) {
            throw new StorageException(ErrorCode.INVALID_STATE, "no MLD or state directory to store " + what + "s in");
        }
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(name + ".tmp");
            Files.write(tmp, record);
            try (var ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(name + ".bin"), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name + ".bin"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot store " + what + " " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the record {@code name} (nothing happens when there is none).
     *
     * @throws StorageException IO_ERROR
     */
    void remove(String name) {
        if (mld != null) {
            mld.remove(kind, name);
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(name + ".bin"));
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot remove " + what + " " + name + ": " + e.getMessage(), e);
        }
    }
}
