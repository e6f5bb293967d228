package io.evasan.nsc.cell.heartbeat;

/**
 * The partner's state from the evidence of life, without I/O or threads (the {@link PartnerMonitor}
 * feeds it; tests feed it an injected clock). Evidence is the send time of the newest ping the
 * partner answered: the partner was alive at some instant after it, not necessarily when the
 * reply arrived, so a late reply to an old ping never revives a partner declared DEAD.
 *
 * <p>Invariants: {@link #state()} is DEAD exactly when, at the last {@link #tick} or reply, at
 * least the timeout had passed since the evidence (the start time before any reply); SUSPECT when
 * the suspect time had; ALIVE otherwise once a reply came; UNKNOWN before any reply and the
 * timeout. The evidence never goes back in time. Not thread-safe: one event loop drives it.
 */
public final class LivenessTracker {
    private final HeartbeatOptions options;
    private final PartnerListener listener;
    private final long startNanos;
    private long evidenceNanos;
    private long lastReplyNanos = -1;
    private PartnerState state = PartnerState.UNKNOWN;

    public LivenessTracker(HeartbeatOptions options, PartnerListener listener, long startNanos) {
        this.options = options;
        this.listener = listener;
        this.startNanos = startNanos;
        this.evidenceNanos = startNanos;
    }

    public PartnerState state() {
        return state;
    }

    public long evidenceNanos() {
        return evidenceNanos;
    }

    public long lastReplyNanos() {
        return lastReplyNanos;
    }

    public long startNanos() {
        return startNanos;
    }

    /** A reply to the ping sent at {@code sentNanos} arrived at {@code nowNanos}. */
    public void onReply(long sentNanos, long nowNanos) {
        lastReplyNanos = nowNanos;
        if (sentNanos - evidenceNanos > 0) {
            evidenceNanos = sentNanos;
        }
        evaluate(nowNanos);
    }

    /** The periodic check at {@code nowNanos}. */
    public void tick(long nowNanos) {
        evaluate(nowNanos);
    }

    private void evaluate(long now) {
        long age = now - evidenceNanos;
        PartnerState next;
        if (age >= options.timeoutMillis() * 1_000_000L) {
            next = PartnerState.DEAD;
        } else if (lastReplyNanos < 0) {
            next = PartnerState.UNKNOWN;
        } else if (age >= options.suspectMillis() * 1_000_000L) {
            next = PartnerState.SUSPECT;
        } else {
            next = PartnerState.ALIVE;
        }
        if (next != state) {
            PartnerEvent e = new PartnerEvent(options.self(), options.partner(), state, next, now, evidenceNanos,
                    lastReplyNanos);
            state = next;
            listener.onChange(e);
        }
    }
}
