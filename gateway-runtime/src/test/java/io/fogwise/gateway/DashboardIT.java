package io.fogwise.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.http.ApiTokens;
import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}) against a real gateway with an API tokens file and real agents: the
 * page asks for a token, shows the devices and the service's placement, follows a device's loss
 * to LOST and the failover to a new epoch on the other device through the event stream, moves
 * the service with its operator controls, and is photographed for the README.
 */
class DashboardIT extends GatewayItBase {
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
      Map.of("app", "it", "channel", "readings", "rateHz", "5"));
  private static final String OPS = ApiTokens.newToken();
  private static final String READ = ApiTokens.newToken();

  @TempDir Path dir;
  private WebDriver browser;

  @Override
  GatewayConfig.Builder config() {
    Path tokens = dir.resolve("api-tokens");
    try {
      ApiTokens.add(tokens, Entry.of("ops", Role.OPERATOR, OPS));
      ApiTokens.add(tokens, Entry.of("viewer", Role.READ, READ));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return super.config().httpPort(0).http(Settings.builder().apiTokens(tokens).build());
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void thePageFollowsALostDeviceAndTheFailoverLiveAndMovesTheServiceWithAnOperatorToken() throws Exception {
    browser = chromium();
    String base = gateway.httpUrl().orElseThrow();
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    agent("e2", Layer.EDGE, Map.of("pub", "true"));
    agent("c1", Layer.CLOUD, Map.of("pub", "true"));
    awaitAlive(3);

    // the page itself is served without a token; what it shows and does is not
    assertEquals(401, get(base + "devices", null).statusCode(), "the data behind the page needs a token");
    assertEquals(401, get(base + "events/stream", null).statusCode(), "and so does the stream");
    browser.get(base);
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("auth")));
    assertTrue(browser.findElements(By.cssSelector("#devices tbody tr")).isEmpty(), "no data without a token");
    browser.findElement(By.id("token")).sendKeys(OPS);
    browser.findElement(By.id("token-use")).click();
    for (String id : List.of("e1", "e2", "c1")) {
      wait.until(ExpectedConditions.textToBe(deviceState(id), "ALIVE"));
    }
    wait.until(ExpectedConditions.textToBe(By.id("live"), "live"));

    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    By running = By.cssSelector("tr[data-service='publisher'] .placement[data-state='RUNNING']");
    wait.until(ExpectedConditions.visibilityOfElementLocated(running));
    String first = browser.findElement(running).getAttribute("data-device");
    assertTrue(first.startsWith("e"), "placed on an EDGE device: " + first);
    String second = first.equals("e1") ? "e2" : "e1";
    wait.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-service='publisher'] .phase"), "RUNNING"));

    agents.remove(first).close();

    wait.until(ExpectedConditions.textToBe(deviceState(first), "LOST"));
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(
        "tr[data-service='publisher'] .placement[data-device='" + second + "'][data-epoch='2'][data-state='RUNNING']")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#events li[data-type='DEVICE_LOST']")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#moves tr[data-type='INSTANCE_STARTED']")));
    assertEquals(second + " → " + placementOf("publisher"), second + " → " + second, "what the page shows is so");

    // an operator's move, through the page's controls and the API's token check
    new Select(browser.findElement(By.cssSelector("tr[data-service='publisher'] select.move-target")))
        .selectByValue("layer:CLOUD");
    browser.findElement(By.cssSelector("tr[data-service='publisher'] button.move")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "move publisher to CLOUD"));
    assertEquals("move publisher to CLOUD: moving", browser.findElement(By.id("message")).getText());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(
        "tr[data-service='publisher'] .placement[data-device='c1'][data-epoch='3'][data-state='RUNNING']")));
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#moves tr[data-type='MIGRATION_COMPLETED']")));
    wait.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-service='publisher'] .phase"), "RUNNING"));
    assertEquals("c1", placementOf("publisher"));
    wait.until(d -> d.findElements(By.cssSelector("#chart-heartbeats canvas")).size() == 1);

    screenshot(Path.of("docs", "images", "dashboard.png"));
  }

  @Test
  void aReadTokenSeesThePageButItsMoveIsRefused() throws Exception {
    browser = chromium();
    agent("e1", Layer.EDGE, Map.of("pub", "true"));
    agent("e2", Layer.EDGE, Map.of("pub", "true"));
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    browser.get(gateway.httpUrl().orElseThrow());
    WebDriverWait wait = new WebDriverWait(browser, WAIT);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("auth")));
    browser.findElement(By.id("token")).sendKeys(READ);
    browser.findElement(By.id("token-use")).click();
    By running = By.cssSelector("tr[data-service='publisher'] .placement[data-state='RUNNING']");
    wait.until(ExpectedConditions.visibilityOfElementLocated(running));
    String at = browser.findElement(running).getAttribute("data-device");
    String other = at.equals("e1") ? "e2" : "e1";
    new Select(browser.findElement(By.cssSelector("tr[data-service='publisher'] select.move-target")))
        .selectByValue("device:" + other);
    browser.findElement(By.cssSelector("tr[data-service='publisher'] button.move")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "refused"));
    assertTrue(browser.findElement(By.id("message")).getText().contains("role read"),
        browser.findElement(By.id("message")).getText());
    assertEquals(at, placementOf("publisher"), "nothing moved");
  }

  private static By deviceState(String id) {
    return By.cssSelector("tr[data-device='" + id + "'] td.state");
  }

  private String placementOf(String service) {
    List<String> on = placementsOf(service).stream().map(p -> p.deviceId()).toList();
    assertEquals(1, on.size(), "one placement: " + on);
    return on.get(0);
  }

  private static HttpResponse<String> get(String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Writes the page as it is now to {@code file} under the repository's root. */
  private void screenshot(Path file) throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve("docs"))) {
      root = root.getParent();
    }
    Assertions.assertNotNull(root, "the repository's docs directory is above " + Path.of("").toAbsolutePath());
    Path target = root.resolve(file);
    Files.createDirectories(target.getParent());
    Files.write(target, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  /**
   * Headless Chromium through Debian's chromedriver, never Selenium Manager (it would download a
   * browser). Missing, the test is skipped saying what to install, or fails with {@code CI=true}.
   */
  static WebDriver chromium() {
    if (!Files.isExecutable(Path.of(CHROMEDRIVER))) {
      String why = CHROMEDRIVER + " is missing: install Debian's chromium and chromium-driver"
          + " (apt-get install chromium chromium-driver) to run the dashboard's browser test";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        Assertions.fail("CI=true and " + why);
      }
      Assumptions.abort(why);
    }
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER);
    ChromeOptions options = new ChromeOptions();
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1400,1250", "--hide-scrollbars");
    for (String binary : List.of("/usr/bin/chromium", "/usr/lib/chromium/chromium")) {
      if (Files.isExecutable(Path.of(binary))) {
        options.setBinary(binary);
        break;
      }
    }
    ChromeDriver driver = new ChromeDriver(new ChromeDriverService.Builder()
        .usingDriverExecutable(Path.of(CHROMEDRIVER).toFile()).usingAnyFreePort().build(), options);
    driver.manage().window().setSize(new Dimension(1400, 1250));
    return driver;
  }
}
