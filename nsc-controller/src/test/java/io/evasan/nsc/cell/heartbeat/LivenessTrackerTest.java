package io.evasan.nsc.cell.heartbeat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The state rules on an injected clock (ms converted to ns); no Vert.x, no real time. */
class LivenessTrackerTest {
    static final long MS = 1_000_000L;
    final List<PartnerEvent> events = new ArrayList<>();
    final HeartbeatOptions opts = HeartbeatOptions.defaults("A", "B"); // 100 / 250 / 500 ms

    private List<PartnerState> states() {
        return events.stream().map(PartnerEvent::to).toList();
    }

    @Test
    void shouldGoAliveSuspectDeadAtExactlyTheirAgesAndBackOnAFreshReply() {
        LivenessTracker t = new LivenessTracker(opts, events::add, 1_000 * MS);
        t.tick(1_100 * MS);
        assertEquals(PartnerState.UNKNOWN, t.state());
        t.onReply(1_100 * MS, 1_101 * MS);
        assertEquals(PartnerState.ALIVE, t.state());
        t.tick(1_100 * MS + 250 * MS - 1);
        assertEquals(PartnerState.ALIVE, t.state());
        t.tick(1_100 * MS + 250 * MS);
        assertEquals(PartnerState.SUSPECT, t.state());
        t.tick(1_100 * MS + 500 * MS - 1);
        assertEquals(PartnerState.SUSPECT, t.state(), "not DEAD one ns before the timeout");
        t.tick(1_100 * MS + 500 * MS);
        assertEquals(PartnerState.DEAD, t.state());
        PartnerEvent dead = events.get(events.size() - 1);
        assertEquals(500.0, dead.silenceMillis());
        assertEquals(1_101 * MS, dead.lastReplyNanos());
        // a late reply to a ping older than the timeout is no evidence of life now
        t.onReply(1_200 * MS, 1_700 * MS);
        assertEquals(PartnerState.DEAD, t.state());
        t.onReply(1_650 * MS, 1_702 * MS);
        assertEquals(PartnerState.ALIVE, t.state());
        assertEquals(List.of(PartnerState.ALIVE, PartnerState.SUSPECT, PartnerState.DEAD, PartnerState.ALIVE), states());
    }

    @Test
    void shouldDeclareAPartnerThatNeverAnsweredDeadAfterTheTimeoutFromStart() {
        LivenessTracker t = new LivenessTracker(opts, events::add, 0);
        t.tick(499 * MS);
        assertEquals(PartnerState.UNKNOWN, t.state(), "no SUSPECT before a first reply");
        t.tick(500 * MS);
        assertEquals(List.of(PartnerState.DEAD), states());
        assertEquals(-1, events.get(0).lastReplyNanos());
    }

    @Test
    void shouldNeverMoveTheEvidenceBackwards() {
        LivenessTracker t = new LivenessTracker(opts, events::add, 0);
        t.onReply(300 * MS, 310 * MS);
        t.onReply(100 * MS, 320 * MS); // reordered reply of an older ping
        assertEquals(300 * MS, t.evidenceNanos());
        assertEquals(320 * MS, t.lastReplyNanos());
        t.tick(799 * MS);
        assertEquals(PartnerState.SUSPECT, t.state());
        t.tick(800 * MS);
        assertEquals(PartnerState.DEAD, t.state());
    }

    @Test
    void shouldRefuseInconsistentOptions() {
        assertThrows(IllegalArgumentException.class, () -> new HeartbeatOptions("A", "A", 100, 250, 500));
        assertThrows(IllegalArgumentException.class, () -> new HeartbeatOptions("A", "B", 100, 600, 500));
        assertThrows(IllegalArgumentException.class, () -> new HeartbeatOptions("A", "B", 0, 250, 500));
    }
}
