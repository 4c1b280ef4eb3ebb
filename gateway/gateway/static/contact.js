// Contact Us: the subtopic list shows only the subtopics of the chosen topic. Without
// JavaScript every subtopic is listed, grouped by topic, and the server checks the pair.
(function () {
  var topic = document.getElementById("topic");
  var subtopic = document.getElementById("subtopic");
  if (!topic || !subtopic) return;
  var groups = Array.prototype.map.call(subtopic.querySelectorAll("optgroup"), function (group) {
    return group.cloneNode(true);
  });
  var placeholder = subtopic.querySelector("option[value='']").cloneNode(true);

  function showSubtopics() {
    var chosen = subtopic.value;
    subtopic.textContent = "";
    var first = placeholder.cloneNode(true);
    first.textContent = topic.value ? "Choose a subtopic" : "Choose a topic first";
    subtopic.appendChild(first);
    groups.forEach(function (group) {
      if (group.getAttribute("data-topic") !== topic.value) return;
      Array.prototype.forEach.call(group.children, function (option) {
        subtopic.appendChild(option.cloneNode(true));
      });
    });
    subtopic.value = chosen;
    if (subtopic.value !== chosen) subtopic.value = "";
  }

  topic.addEventListener("change", showSubtopics);
  showSubtopics();
})();
