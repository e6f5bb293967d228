package io.evasan.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.LongSupplier;

/**
 * The clustered cell's partition drill, as the data directory states it: the file {@code cell/partition} holds one
 * line, the wall-clock time (epoch milliseconds) until which the event bus between the two controller processes is
 * cut. Both processes read the same file, so both cut their side of the bus for the same span while the drives stay
 * shared — the case the quorum lease decides. {@code deploy/cell.sh drill partition SECONDS} writes it.
 *
 * <p>Invariant: {@link #cutNow} is true exactly while the stated time lies ahead; a missing or unreadable file
 * cuts nothing (a drill never outlives its stated end, whatever happens to the file).
 */
final class PartitionDrill {
    static final String FILE = "partition";

    private final Path file;
    private final LongSupplier wallClockMillis;

    PartitionDrill(Path cellDir, LongSupplier wallClockMillis) {
        this.file = cellDir.resolve(FILE);
        this.wallClockMillis = wallClockMillis;
    }

    /** Whether the bus is cut now; the end of the cut when it is ({@code 0} when it is not). */
    long cutUntil() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            return 0;
        }
        long until;
        try {
            until = Long.parseLong(text);
        } catch (NumberFormatException e) {
            return 0;
        }
        return until > wallClockMillis.getAsLong() ? until : 0;
    }

    boolean cutNow() {
        return cutUntil() != 0;
    }

    /** States a cut of {@code millis} from now (atomically: the file is renamed into place). */
    static void cut(Path cellDir, long millis, long nowMillis) throws IOException {
        if (millis <= 0) {
            throw new IllegalArgumentException("a partition lasts a positive time, got " + millis + " ms");
        }
        Files.createDirectories(cellDir);
        Path tmp = cellDir.resolve(FILE + ".tmp");
        Files.writeString(tmp, (nowMillis + millis) + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, cellDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
