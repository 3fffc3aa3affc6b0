// Viewer request on /media/*: the media bucket keeps thumbnails at thumbnails/<id>.webp, the site
// links them as /media/thumbnails/<id>.webp (MEDIA_BASE_URL). CloudFront forwards the whole path to
// the origin, so the /media prefix is dropped here.
function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace(/^\/media\//, "/");
  return request;
}
