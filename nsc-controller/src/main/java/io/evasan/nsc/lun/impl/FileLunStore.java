package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunStore;
import io.evasan.nsc.lun.LunTableDescriptor;

import io.evasan.raid.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@link LunStore} in one checksummed file {@code <dir>/luns.tbl}, replaced whole on each change:
 * temp file, fsync, atomic rename, fsync of the directory ({@link AtomicFiles#replace}). A reader sees
 * the old or the new file.
 */
public final class FileLunStore implements LunStore {
    public static final String FILE_NAME = "luns.tbl";
    private static final String TEMP_NAME = AtomicFiles.tempOf(Path.of(FILE_NAME)).toString();

    private final Path dir;
    private final Path file;

    public FileLunStore(Path dir) {
        this.dir = dir;
        this.file = dir.resolve(FILE_NAME);
    }

    /** Opens (or creates) the LUN table kept in {@code dir}. */
    public static StoredLunTable open(Path dir) {
        return StoredLunTable.open(new FileLunStore(dir));
    }

    @Override
    public LunTableDescriptor.Content load() {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(TEMP_NAME));
            return Files.exists(file) ? LunTableDescriptor.decode(Files.readAllBytes(file)) : null;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read LUN table in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void store(LunTableDescriptor.Content previous, LunTableDescriptor.Content next) {
        try {
            AtomicFiles.replace(file, LunTableDescriptor.encode(next));
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write LUN table " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return file.toString();
    }
}
