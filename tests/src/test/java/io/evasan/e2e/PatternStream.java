package io.evasan.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The failover tests' client: one qemu-io process streaming {@code writes} pattern writes of {@code len} bytes to
 * seeded random slots of a LUN (write i fills its slot with byte {@code i % 250 + 1}), each acknowledgement
 * ("wrote ...") time-stamped as qemu-io prints it. Invariant: {@link #allowed} maps every slot to the fill of the
 * newest acknowledged write to it, the form {@link SlotImage#verify} checks.
 */
final class PatternStream implements AutoCloseable {
    private static final Pattern ACK = Pattern.compile("^wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    private final long[] offs;
    private final int len;
    private final Process q;
    private final Thread reader;
    private final List<String> out = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> ackNanos = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch faultPoint;

    private final int faultAt;

    private PatternStream(long[] offs, int len, Process q, int faultAt) {
        this.faultAt = faultAt;
        this.offs = offs;
        this.len = len;
        this.q = q;
        this.faultPoint = new CountDownLatch(faultAt);
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(q.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    out.add(l);
                    if (l.startsWith("wrote ")) {
                        ackNanos.add(System.nanoTime());
                        faultPoint.countDown();
                    }
                }
            } catch (IOException ignored) {
                // client gone
            }
        });
        reader.start();
    }

    /**
     * Starts qemu-io ({@code options} after {@code -f raw}, e.g. a cache mode) on {@code url}; {@link #awaitFaultPoint}
     * returns once {@link #faultAt} writes are acknowledged (a seeded point in the first half, at least the 20th).
     */
    static PatternStream start(Random rnd, int writes, long lunBytes, int len, List<String> options, String url)
            throws IOException {
        long[] offs = new long[writes];
        List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "-f", "raw"));
        cmd.addAll(options);
        for (int i = 0; i < writes; i++) {
            offs[i] = (long) rnd.nextInt((int) (lunBytes / len)) * len;
            cmd.add("-c");
            cmd.add("write -P " + (i % 250 + 1) + " " + offs[i] + " " + len);
        }
        cmd.add(url);
        int faultAt = 20 + rnd.nextInt(writes / 2);
        return new PatternStream(offs, len, new ProcessBuilder(cmd).redirectErrorStream(true).start(), faultAt);
    }

    /** The acknowledgement {@link #awaitFaultPoint} waits for. */
    int faultAt() {
        return faultAt;
    }

    boolean awaitFaultPoint(long seconds) throws InterruptedException {
        return faultPoint.await(seconds, TimeUnit.SECONDS);
    }

    /** Acknowledgements so far. */
    int acknowledged() {
        return ackNanos.size();
    }

    /** Waits for qemu-io to exit (and its output to be read); false on timeout. */
    boolean finish(long seconds) throws InterruptedException {
        if (!q.waitFor(seconds, TimeUnit.SECONDS)) {
            return false;
        }
        reader.join(5000);
        return true;
    }

    int exitValue() {
        return q.exitValue();
    }

    /**
     * The newest acknowledged fill of every written slot, acknowledgements checked to come in order; with
     * {@code inFlight} the next write's fill is allowed too (it may have landed unacknowledged).
     */
    Map<Integer, Set<Integer>> allowed(boolean inFlight) {
        Map<Integer, Set<Integer>> allowed = new HashMap<>();
        int n = 0;
        synchronized (out) {
            for (String l : out) {
                Matcher m = ACK.matcher(l);
                if (m.find()) {
                    assertEquals(offs[n], Long.parseLong(m.group(3)), "acknowledgements out of order");
                    allowed.put((int) (offs[n] / len), new HashSet<>(Set.of(n % 250 + 1)));
                    n++;
                }
            }
        }
        if (inFlight && n < offs.length) {
            allowed.computeIfAbsent((int) (offs[n] / len), k -> new HashSet<>(Set.of(0))).add(n % 250 + 1);
        }
        return allowed;
    }

    /** Acknowledgements qemu-io printed (its "wrote" lines). */
    int acknowledgedLines() {
        int n = 0;
        synchronized (out) {
            for (String l : out) {
                if (ACK.matcher(l).find()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Nanoseconds from {@code t0} to the first acknowledgement after it (among those after index {@code from}), or -1. */
    long firstAckAfter(long t0, int from) {
        synchronized (ackNanos) {
            for (int i = from; i < ackNanos.size(); i++) {
                if (ackNanos.get(i) > t0) {
                    return ackNanos.get(i) - t0;
                }
            }
        }
        return -1;
    }

    /** A qemu-io still running (the test failed before it finished) is killed: no client outlives its test. */
    @Override
    public void close() throws InterruptedException {
        if (q.isAlive()) {
            q.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(5000);
    }

    /** qemu-io's last lines, for messages. */
    String tail() {
        synchronized (out) {
            return String.join("\n", out.subList(Math.max(0, out.size() - 15), out.size()));
        }
    }
}
