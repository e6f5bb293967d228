package io.evasan.mgmt.impl;

import io.evasan.error.ErrorCode;
import io.evasan.error.StorageException;
import io.evasan.mgmt.impl.EventRecordDescriptor.Event;
import io.evasan.mgmt.impl.EventRecordDescriptor.Severity;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The persistent event log: {@link EventRecordDescriptor} records appended back to back to one file in the
 * management state directory, seq numbers from 1, with a paged query (newest first) over object, severity and time.
 *
 * <p>Invariants: {@link #append} returns once its record is written and forced to the file (it survives a crash
 * of the process and of the machine), and prints exactly one server-log line for it; {@link #open} keeps every
 * intact record: a damaged record in the middle is skipped (the next intact record is found by its magic, length
 * and CRC), a torn or damaged tail is cut off, and the next seq is one more than the highest kept. The events of
 * the newest {@link #IN_MEMORY} records are served by {@link #query}.
 */
public final class EventLog implements AutoCloseable {
    /** Events kept in memory for queries (the newest). */
    static final int IN_MEMORY = 100_000;
    /** Largest page a query returns. */
    public static final int MAX_PAGE = 1000;

    private final FileChannel channel;
    private final LongSupplier clock;
    private final List<Event> events = new ArrayList<>();
    private final List<Consumer<Event>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final long skippedBytes;
    private final long truncatedBytes;
    private long end;
    private long nextSeq;

    /** A query: {@code object} exact ("" any), {@code minSeverity}, time window, page before {@code beforeSeq} (0: newest). */
    public record Query(String object, Severity minSeverity, long sinceMillis, long untilMillis, long beforeSeq, int limit) {
    }

    /** One page, newest first; {@code next} is the {@code beforeSeq} of the next page, 0 when this is the last. */
    public record Page(List<Event> events, long next) {
    }

    private EventLog(FileChannel channel, LongSupplier clock, long skipped, long truncated, long end) {
        this.channel = channel;
        this.clock = clock;
        this.skippedBytes = skipped;
        this.truncatedBytes = truncated;
        this.end = end;
    }

    /**
     * Opens (creating) the log at {@code file}, keeps its intact records and cuts off a torn tail.
     *
     * @throws StorageException IO_ERROR when the file cannot be read or written
     */
    public static EventLog open(Path file, LongSupplier clock) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            byte[] all = new byte[(int) Math.min(ch.size(), Integer.MAX_VALUE - 16)];
            ByteBuffer in = ByteBuffer.wrap(all);
            while (in.hasRemaining() && ch.read(in, in.position()) >= 0) {
                // fill
            }
            List<Event> kept = new ArrayList<>();
            long skipped = 0;
            int at = 0;
            int lastGoodEnd = 0;
            while (at < all.length) {
                int len = lengthAt(all, at);
                if (len > 0) {
                    kept.add(EventRecordDescriptor.decode(java.util.Arrays.copyOfRange(all, at, at + len)));
                    at += len;
                    lastGoodEnd = at;
                    continue;
                }
                int next = nextIntact(all, at + 1);
                if (next < 0) {
                    break;                       // torn or damaged tail: cut off below
                }
                skipped += next - at;
                at = next;
            }
            long truncated = all.length - lastGoodEnd;
            if (truncated > 0) {
                ch.truncate(lastGoodEnd);
                ch.force(true);
            }
            EventLog log = new EventLog(ch, clock, skipped, truncated, lastGoodEnd);
            long max = 0;
            for (Event e : kept) {
                max = Math.max(max, e.seq());
            }
            log.nextSeq = max + 1;
            int from = Math.max(0, kept.size() - IN_MEMORY);
            log.events.addAll(kept.subList(from, kept.size()));
            if (skipped > 0 || truncated > 0) {
                System.err.println("evasan event log " + file + ": kept " + kept.size() + " records, skipped " + skipped
                        + " damaged bytes, cut off a torn tail of " + truncated + " bytes");
            }
            return log;
        } catch (IOException e) {
            throw new StorageException(ErrorCode.IO_ERROR, "cannot open the event log " + file + ": " + e.getMessage(), e);
        }
    }

    /** The length of the intact record at {@code at}, or -1. */
    private static int lengthAt(byte[] all, int at) {
        int len = EventRecordDescriptor.peekLength(ByteBuffer.wrap(all, at, all.length - at));
        if (len < EventRecordDescriptor.HEADER || len > all.length - at) {
            return -1;
        }
        try {
            EventRecordDescriptor.decode(java.util.Arrays.copyOfRange(all, at, at + len));
            return len;
        } catch (StorageException e) {
            return -1;
        }
    }

    /** The offset of the first intact record at or after {@code from}, or -1. */
    private static int nextIntact(byte[] all, int from) {
        byte m0 = (byte) EventRecordDescriptor.MAGIC;
        for (int p = from; p + EventRecordDescriptor.HEADER <= all.length; p++) {
            if (all[p] == m0 && lengthAt(all, p) > 0) {
                return p;
            }
        }
        return -1;
    }

    /** Bytes of damaged records skipped by {@link #open}. */
    public long skippedBytes() {
        return skippedBytes;
    }

    /** Bytes of a torn tail cut off by {@link #open}. */
    public long truncatedBytes() {
        return truncatedBytes;
    }

    /** Calls {@code l} with every event appended from now on (after it is durable). */
    public void subscribe(Consumer<Event> l) {
        listeners.add(l);
    }

    /**
     * Appends one event now, durably, and prints its server-log line.
     *
     * @throws IllegalArgumentException naming a field longer than {@link EventRecordDescriptor#MAX_FIELD} bytes
     * @throws StorageException IO_ERROR when the file cannot be written (nothing is kept in memory then)
     */
    public Event append(Severity severity, String category, String object, String actor, String message) {
        Event e;
        synchronized (this) {
            e = new Event(nextSeq, clock.getAsLong(), severity, category, object, actor, message);
            byte[] r = EventRecordDescriptor.encode(e);
            try {
                ByteBuffer b = ByteBuffer.wrap(r);
                long at = end;
                while (b.hasRemaining()) {
                    at += channel.write(b, at);
                }
                channel.force(false);
            } catch (IOException x) {
                throw new StorageException(ErrorCode.IO_ERROR, "cannot append to the event log: " + x.getMessage(), x);
            }
            end += r.length;
            nextSeq++;
            events.add(e);
            if (events.size() > IN_MEMORY) {
                events.subList(0, events.size() - IN_MEMORY).clear();
            }
        }
        System.err.println(line(e));
        for (Consumer<Event> l : listeners) {
            l.accept(e);
        }
        return e;
    }

    /** The server-log line of an event. */
    static String line(Event e) {
        return "evasan event #" + e.seq() + " " + java.time.Instant.ofEpochMilli(e.timeMillis()) + " " + e.severity()
                + " " + e.category() + (e.object().isEmpty() ? "" : " [" + e.object() + "]") + ": " + e.message()
                + (e.actor().isEmpty() ? "" : " (by " + e.actor() + ")");
    }

    /** One page of the events matching {@code q}, newest first. */
    public synchronized Page query(Query q) {
        List<Event> out = new ArrayList<>();
        int limit = Math.max(1, Math.min(q.limit(), MAX_PAGE));
        for (int i = events.size() - 1; i >= 0; i--) {
            Event e = events.get(i);
            if ((q.beforeSeq() > 0 && e.seq() >= q.beforeSeq()) || e.timeMillis() > q.untilMillis()
                    || e.timeMillis() < q.sinceMillis() || e.severity().ordinal() < q.minSeverity().ordinal()
                    || (!q.object().isEmpty() && !e.object().equals(q.object()))) {
                continue;
            }
            if (out.size() == limit) {
                return new Page(out, out.get(out.size() - 1).seq());
            }
            out.add(e);
        }
        return new Page(out, 0);
    }

    /** The newest {@code limit} events of {@code category}, newest first. */
    public synchronized List<Event> recent(String category, int limit) {
        List<Event> out = new ArrayList<>();
        for (int i = events.size() - 1; i >= 0 && out.size() < limit; i--) {
            if (events.get(i).category().equals(category)) {
                out.add(events.get(i));
            }
        }
        return out;
    }

    /** The newest seq appended (0 when empty). */
    public synchronized long lastSeq() {
        return nextSeq - 1;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // closing a read/write channel whose data is forced already: nothing is lost
        }
    }
}
