package io.evasan.nsc.lun.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.nsc.lun.LunStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * {@link LunStore} in one checksummed file {@code <dir>/luns.tbl}, replaced whole on each change:
 * temp file, fsync, atomic rename, fsync of the directory. A reader sees the old or the new file.
 */
public final class FileLunStore implements LunStore {
    public static final String FILE_NAME = "luns.tbl";
    private static final String TEMP_NAME = "luns.tbl.tmp";

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
    public byte[] load() {
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(TEMP_NAME));
            return Files.exists(file) ? Files.readAllBytes(file) : null;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot read LUN table in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void store(byte[] bytes) {
        Path tmp = dir.resolve(TEMP_NAME);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot open a directory for fsync; the rename is still atomic
            }
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot write LUN table " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return file.toString();
    }
}
