/* Greets the visitor by the time of day. */
(function () {
  var hour = new Date().getHours();
  var greeting = hour < 12 ? "Good morning." : hour < 18 ? "Good afternoon." : "Good evening.";
  var element = document.getElementById("greeting");
  if (element) {
    element.textContent = greeting;
  }
})();
