package io.evasan.raid.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The one way a small metadata file is replaced whole: write {@code <name>.tmp} in the same
 * directory, fsync it, rename it over the file (atomic), fsync the directory. After a crash at any
 * point a reader finds the old or the new content, never a mix; once {@link #replace} returns the
 * new content (and its name) is durable.
 *
 * <p>Invariants: the temp file is {@link #tempOf}{@code (file)} (owners delete a stale one when they
 * load); when {@code replace} throws before the rename, the temp file is removed and the file is
 * unchanged. Files and the directory are opened through a {@link ChannelOpener}, so power-cut tests
 * can cover the sequence. A directory that cannot be opened for fsync (some file systems) is skipped:
 * the rename is still atomic.
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    /** The temp file {@link #replace} writes for {@code file}: {@code <name>.tmp} next to it. */
    public static Path tempOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** {@link #replace(ChannelOpener, Path, byte[])} with {@link ChannelOpener#DEFAULT}. */
    public static void replace(Path file, byte[] bytes) throws IOException {
        replace(ChannelOpener.DEFAULT, file, bytes);
    }

    /** Replaces {@code file}'s content with {@code bytes} atomically and durably (see the class comment). */
    public static void replace(ChannelOpener files, Path file, byte[] bytes) throws IOException {
        Path tmp = tempOf(file);
        boolean renamed = false;
        try {
            try (FileChannel ch = files.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            // same directory: rename(2), atomic on every POSIX file system
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            renamed = true;
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the owner deletes a stale temp file when it loads
                }
            }
        }
        syncDirectory(files, file.toAbsolutePath().getParent());
    }

    /** Fsyncs a directory (makes a rename or a create in it durable); skipped where unsupported. */
    public static void syncDirectory(ChannelOpener files, Path dir) throws IOException {
        FileChannel d;
        try {
            d = files.open(dir, StandardOpenOption.READ);
        } catch (IOException e) {
            return;   // some file systems cannot open a directory for fsync; the rename is still atomic
        }
        try (d) {
            d.force(true);
        }
    }
}
