package io.evasan.nsc.cell;

import io.evasan.nsc.api.CellLog;
import io.evasan.nsc.api.CellRecord;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The one sequencer of the cell's records: every part of the command path that commits a change (the
 * controller's catalogue, the drive commands, the named records, the job controls) appends its record here
 * after the change is durable, and nowhere else.
 *
 * <p>Invariants: {@link #append} numbers records 1, 2, 3, ... with no gap and hands each to every
 * subscriber in that order before the next is numbered; a subscriber that throws is logged and does not
 * stop the others (the change it reports has already committed).
 */
public final class CommandLog implements CellLog {
    private static final System.Logger LOG = System.getLogger(CommandLog.class.getName());

    private final List<Consumer<CellRecord.Committed>> subscribers = new CopyOnWriteArrayList<>();
    private long seq;

    /** Numbers {@code record} and delivers it; returns it with its number. */
    public synchronized CellRecord.Committed append(CellRecord record) {
        CellRecord.Committed c = new CellRecord.Committed(seq + 1, Objects.requireNonNull(record, "record"));
        seq = c.seq();
        for (Consumer<CellRecord.Committed> s : subscribers) {
            try {
                s.accept(c);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cell log subscriber failed on " + c + ": " + e);
            }
        }
        return c;
    }

    @Override
    public synchronized long lastSeq() {
        return seq;
    }

    @Override
    public synchronized void subscribe(Consumer<CellRecord.Committed> subscriber) {
        subscribers.add(Objects.requireNonNull(subscriber, "subscriber"));
    }
}
