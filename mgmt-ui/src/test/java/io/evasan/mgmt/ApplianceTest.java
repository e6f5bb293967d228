package io.evasan.mgmt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the API test classes that share one running appliance per class: {@link #f} is a fresh
 * {@link ApplianceFixture} before the first test of each subclass and is closed (its folder deleted)
 * after the last. Test classes run one after another (no parallel execution in this module), so the
 * one static field never holds two classes' appliances at once.
 */
abstract class ApplianceTest {
    static ApplianceFixture f;

    @BeforeAll
    static void openAppliance() throws Exception {
        f = new ApplianceFixture();
    }

    @AfterAll
    static void closeAppliance() throws Exception {
        if (f != null) {
            f.close();
            f = null;
        }
    }
}
