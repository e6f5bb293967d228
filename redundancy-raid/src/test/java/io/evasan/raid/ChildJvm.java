package io.evasan.raid;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The child JVM of a crash test (the one harness every module's kill -9 tests share): {@code java -Xmx<heap>
 * @jvm.flags <jvm args> -cp <this JVM's classpath> <main> <args>}, its standard output going to a FILE,
 * read line by line as the child writes it ({@link #follow}, {@link #awaitLine}), SIGKILL ({@link #kill9}) at
 * the moment the test picks, then the test reopens the child's files itself.
 *
 * <p>Why a file, not a pipe: {@link Process#destroyForcibly()} (OpenJDK, Linux) closes the parent's end of the
 * child's stdout pipe at once, so every line the child had written but the parent had not yet read is
 * dropped; a test that builds its model of acknowledged operations from those lines then misses the last
 * ones whenever its reader lags (a loaded machine) and reports their correct data as corruption (the
 * SharingCrashTest "random data" failure, sharing-tree/CRASH-DEFECT.md). A write(2) to a regular file that returned
 * before the SIGKILL is in the page cache and is read back in full.
 *
 * <p>Invariants: every complete line the child wrote before it died is seen, once and in order, by
 * {@link #follow} and {@link #lines}; a last line without its newline when the child is dead (the kill
 * landed inside its write) is never seen; {@link #kill9} returns only once the child is dead; {@link #close}
 * leaves no child running.
 */
public final class ChildJvm implements AutoCloseable {
    /** Handles one line of the child's output; may call {@link #kill9}. */
    @FunctionalInterface
    public interface LineHandler {
        void line(String line) throws Exception;
    }

    private static final Duration FOLLOW_LIMIT = Duration.ofMinutes(10);

    private final Process process;
    private final Path output;
    private final boolean ownsOutput;
    private final FileChannel reader;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final List<String> seen = new ArrayList<>();
    private long offset;
    private boolean closed;

    private ChildJvm(Process process, Path output, boolean ownsOutput) throws IOException {
        this.process = process;
        this.output = output;
        this.ownsOutput = ownsOutput;
        this.reader = FileChannel.open(output, StandardOpenOption.READ);
    }

    /** A child running {@code main} (a class on this JVM's classpath). */
    public static Builder of(Class<?> main) {
        return new Builder(main.getName());
    }

    /** A child running the class named {@code main} (on this JVM's classpath). */
    public static Builder of(String main) {
        return new Builder(main);
    }

    /** How to start a child. */
    public static final class Builder {
        private final String main;
        private String heap = "256m";
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> args = new ArrayList<>();
        private Path output;
        private boolean mergeStderr;

        private Builder(String main) {
            this.main = main;
        }

        /** {@code -Xmx} of the child, e.g. {@code "256m"}. */
        public Builder heap(String xmx) {
            this.heap = xmx;
            return this;
        }

        /** JVM options after the shared flags (e.g. {@code -Devasan.x=y}). */
        public Builder jvmArgs(String... a) {
            jvmArgs.addAll(List.of(a));
            return this;
        }

        /** Arguments of {@code main}. */
        public Builder args(String... a) {
            args.addAll(List.of(a));
            return this;
        }

        /**
         * The file the child's standard output goes to (created or truncated; kept after {@link #close}); default a
         * temporary file deleted by {@link #close}.
         */
        public Builder output(Path file) {
            this.output = file;
            return this;
        }

        /** Standard error into the same file (default: inherited by the test). */
        public Builder mergeStderr() {
            this.mergeStderr = true;
            return this;
        }

        /** The command line the child is started with. */
        public List<String> command() {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx" + heap);
            cmd.add(JvmFlags.ARG_FILE);
            String perf = System.getProperty("evasan.perf.history");
            if (perf != null) {   // the build's test JVMs keep appliance performance history in memory; children too
                cmd.add("-Devasan.perf.history=" + perf);
            }
            cmd.addAll(jvmArgs);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(main);
            cmd.addAll(args);
            return cmd;
        }

        public ChildJvm start() throws IOException {
            Path out = output != null ? output : Files.createTempFile("evasan-child-", ".out");
            Files.deleteIfExists(out);
            Files.createFile(out);
            ProcessBuilder pb = new ProcessBuilder(command()).redirectOutput(out.toFile());
            if (mergeStderr) {
                pb.redirectErrorStream(true);
            } else {
                pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            }
            return new ChildJvm(pb.start(), out, output == null);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file holding the child's output. */
    public Path output() {
        return output;
    }

    /** Every complete line the child wrote so far. */
    public synchronized List<String> lines() {
        poll(process.isAlive());
        return List.copyOf(seen);
    }

    /**
     * Calls {@code handler} for every line of the child's output, in order, as it is written, until the child
     * has exited (by itself or by a {@link #kill9} from the handler) and every line it wrote was handled. A
     * child still running after 10 minutes is killed and the call fails.
     */
    public void follow(LineHandler handler) throws Exception {
        long deadline = System.nanoTime() + FOLLOW_LIMIT.toNanos();
        int next = 0;
        while (true) {
            boolean alive = process.isAlive();
            List<String> batch;
            synchronized (this) {
                poll(alive);
                batch = seen.size() > next ? List.copyOf(seen.subList(next, seen.size())) : List.of();
            }
            for (String l : batch) {
                handler.line(l);
            }
            next += batch.size();
            if (batch.isEmpty()) {
                if (!alive) {
                    return;   // dead before this poll: the poll read everything it wrote
                }
                if (System.nanoTime() > deadline) {
                    kill9();
                    throw new AssertionError("child " + pid() + " still running after " + FOLLOW_LIMIT + "; output in "
                            + output);
                }
                Thread.sleep(1);
            }
        }
    }

    /** Waits until the child has written a line matching {@code p}; false on timeout or if it died without one. */
    public boolean awaitLine(Predicate<String> p, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            boolean alive = process.isAlive();
            if (lines().stream().anyMatch(p)) {
                return true;
            }
            if (!alive || System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
    }

    /** Waits until the child has written the line {@code line}. */
    public boolean awaitLine(String line, long timeoutMillis) throws InterruptedException {
        return awaitLine(line::equals, timeoutMillis);
    }

    /** SIGKILL (no shutdown hook runs); returns once the child is dead. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child " + pid() + " did not die after SIGKILL");
        }
    }

    /** SIGKILL, then every complete line the child wrote before it died. */
    public List<String> killAndCollect() throws InterruptedException {
        kill9();
        return lines();
    }

    /** SIGTERM (shutdown hooks run); SIGKILL if the child has not exited after a minute. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            kill9();
        }
    }

    /** Waits for the child to exit by itself; its exit value. AssertionError (the child killed) on timeout. */
    public int waitFor(long timeoutSeconds) throws InterruptedException {
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            kill9();
            throw new AssertionError("child " + pid() + " did not exit within " + timeoutSeconds + " s; output in " + output);
        }
        return process.exitValue();
    }

    /**
     * Kills the child if it still runs, reads the rest of its output ({@link #lines} still answers afterwards),
     * closes the output reader and deletes a temporary output file.
     */
    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
                kill9();
            }
            synchronized (this) {
                poll(false);
            }
        } finally {
            try {
                synchronized (this) {
                    closed = true;
                }
                reader.close();
                if (ownsOutput) {
                    Files.deleteIfExists(output);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Reads what the child appended since the last poll into {@link #seen}. {@code dead}: the child had
     * exited before this read began, so the bytes after the last newline can never be completed (dropped).
     */
    private void poll(boolean alive) {
        if (closed) {
            return;   // everything was read at close
        }
        try {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            int n;
            while ((n = reader.read(buf.clear(), offset)) > 0) {
                offset += n;
                byte[] b = buf.array();
                int start = 0;
                for (int i = 0; i < n; i++) {
                    if (b[i] == '\n') {
                        partial.write(b, start, i - start);
                        seen.add(partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                        start = i + 1;
                    }
                }
                partial.write(b, start, n - start);
            }
            if (!alive) {
                partial.reset();   // cut by the kill inside its write: never completed
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
