package io.evasan.leveling;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Throttle} on a fake clock: the time a copy takes follows the rate; 0 never waits. */
class ThrottleTest {
    private long now;
    private long slept;

    private Throttle throttle(long rate) {
        return new Throttle(rate, () -> now, n -> {
            slept += n;
            now += n;
        });
    }

    @Test
    void shouldHoldACopyBackToItsRate() throws Exception {
        Throttle t = throttle(1_000_000); // 1 MB/s
        for (int i = 0; i < 10; i++) {
            t.acquire(100_000);
        }
        assertEquals(900_000_000L, slept, "nine of ten 100 kB rows wait 0.1 s each");
    }

    @Test
    void shouldNotWaitWhenTheCopyIsSlowerThanTheRate() throws Exception {
        Throttle t = throttle(1_000_000);
        for (int i = 0; i < 5; i++) {
            t.acquire(100_000);
            now += 200_000_000L; // the copy itself takes 0.2 s per row
        }
        assertEquals(0, slept);
    }

    @Test
    void shouldNeverWaitUnthrottledAndFollowARateChange() throws Exception {
        Throttle t = throttle(0);
        for (int i = 0; i < 100; i++) {
            t.acquire(1 << 20);
        }
        assertEquals(0, slept);
        t.setRate(2_000_000);
        t.acquire(1_000_000);
        t.acquire(1_000_000);
        assertEquals(500_000_000L, slept);
    }

    @Test
    void shouldRefuseANegativeRateNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> throttle(-1));
        assertTrue(e.getMessage().contains("bytesPerSecond"), e.getMessage());
    }
}
