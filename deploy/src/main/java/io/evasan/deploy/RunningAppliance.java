package io.evasan.deploy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Whether an appliance serves a data directory right now, asked before an offline tool opens it: a running cell holds
 * the exclusive lock of each controller's NV cache log ({@code <data-dir>/cell/<nsc>/cache.log}) for its whole life,
 * in this process or another. Invariant: {@link #lockedCacheLog} only tries the lock and releases it at once; it never
 * creates or writes a file. Meant for a process that has not opened the appliance itself (the launcher's offline
 * options): POSIX record locks belong to the process, so the probe's close would also drop the OS-level lock of an
 * appliance open in the same process (its in-JVM lock stays, which is what the probe sees there).
 */
final class RunningAppliance {
    private RunningAppliance() {
    }

    /** The first cache log under {@code dataDir} that another holder has locked, or empty when none is. */
    static Optional<Path> lockedCacheLog(Path dataDir) throws IOException {
        Path cell = dataDir.resolve("cell");
        if (!Files.isDirectory(cell)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.find(cell, 2, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("cache.log"))) {
            for (Path log : (Iterable<Path>) s.sorted()::iterator) {
                if (locked(log)) {
                    return Optional.of(log);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean locked(Path log) throws IOException {
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;   // held by this very process (an appliance started in-process)
        }
    }
}
